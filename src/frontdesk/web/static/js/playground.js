// The playground: a simulated exchange kept in the page, answered by the server as a dry run.
// Every edit or deletion sends the turns back with rerun_from at that message.
import { api, ApiError } from "./inbox-api.js";
import { fill, h } from "./inbox-dom.js";

const boot = JSON.parse(document.getElementById("playground-boot")?.textContent || "{}");
let turns = [];
let busy = false;

const $ = (id) => document.getElementById(id);

function showError(message) {
  const el = $("play-error");
  el.textContent = message || "";
  el.hidden = !message;
}

function aiDetails(ai) {
  if (!ai) return null;
  const sources = (ai.sources || []).map((s) => s.title || s.article_id || JSON.stringify(s));
  const tools = (ai.tool_calls || []).map((t) => `${t.name || t.tool || "tool"}(${JSON.stringify(t.args || t.arguments || {})})`);
  const rows = [
    ["Intent", ai.intent || "none"],
    ["Confidence", typeof ai.confidence === "number" ? ai.confidence.toFixed(2) : "?"],
    ["Escalates", ai.escalate ? `yes${ai.reason ? ` (${ai.reason})` : ""}` : "no"],
    ["Sources", sources.length ? sources.join("; ") : "none"],
    ["Tool calls", tools.length ? tools.join("; ") : "none"],
    ["Model", ai.model || ""],
  ];
  return h(
    "details",
    { class: "play-ai", open: true },
    h("summary", { text: "How it answered" }),
    h("dl", {}, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
  );
}

function render() {
  const list = $("play-turns");
  fill(
    list,
    turns.map((turn, index) => {
      const who = turn.role === "customer" ? "Customer" : "Assistant";
      const text = h("p", { class: "play-text", text: turn.text || "(empty)" });
      const edit = h("button", {
        type: "button",
        class: "button button-small",
        text: "Edit",
        "aria-label": `Edit message ${index + 1} (${who})`,
        onclick: () => startEdit(index, li),
      });
      const remove = h("button", {
        type: "button",
        class: "button button-small",
        text: "Delete",
        "aria-label": `Delete message ${index + 1} (${who})`,
        onclick: () => rerun(turns.filter((_, i) => i !== index), index),
      });
      const li = h(
        "li",
        { class: "play-turn", dataset: { role: turn.role } },
        h("strong", { text: who }),
        text,
        turn.role === "assistant" ? aiDetails(turn.ai) : null,
        h("div", { class: "play-actions" }, edit, remove),
      );
      return li;
    }),
  );
}

// The save form starts from what the last answer did, so saving "this is right" is one click.
function prefillExpectations() {
  const last = turns[turns.length - 1];
  if (!last || last.role !== "assistant" || !last.ai) return;
  $("case-intent").placeholder = last.ai.intent || "";
  if (!$("case-intent").value && last.ai.intent) $("case-intent").value = last.ai.intent;
  $("case-escalate").value = last.ai.escalate ? "yes" : "no";
}

function startEdit(index, li) {
  const field = h("textarea", { rows: 3, maxlength: 4000, "aria-label": `New text of message ${index + 1}` });
  field.value = turns[index].text;
  const save = h("button", {
    type: "button",
    class: "button button-small button-primary",
    text: "Save and answer again",
    onclick: () => {
      const next = turns.map((t, i) => (i === index ? { ...t, text: field.value, ai: null } : t));
      // A changed customer message is answered again; a changed answer is kept and what follows is redone.
      rerun(next, turns[index].role === "customer" ? index : index + 1);
    },
  });
  li.append(h("div", { class: "play-edit" }, field, save));
  field.focus();
}

async function rerun(next, from) {
  if (busy) return;
  if (!next.length) {
    turns = [];
    render();
    return;
  }
  busy = true;
  showError("");
  $("play-send").disabled = true;
  try {
    const body = { assistant_id: $("play-assistant").value || null, turns: next, rerun_from: Math.min(from, next.length) };
    const result = await api("POST", "/playground/run", body);
    turns = result.turns;
    render();
    prefillExpectations();
  } catch (error) {
    showError(error instanceof ApiError ? error.message : String(error));
  } finally {
    busy = false;
    $("play-send").disabled = false;
  }
}

function renderCases(cases) {
  fill(
    $("case-list"),
    cases.length
      ? cases.map((c) => h("li", {}, c.name, c.last_result ? h("span", { class: c.last_result.passed ? "play-pass" : "play-fail", text: c.last_result.passed ? " · passed" : " · failed" }) : null))
      : h("li", { class: "muted", text: "No test cases yet." }),
  );
  $("run-all").disabled = !cases.length;
}

async function refreshCases() {
  renderCases(await api("GET", "/playground/cases"));
}

function renderRun(run) {
  const report = $("run-report");
  const rows = (run.results || []).map((r) =>
    h(
      "tr",
      {},
      h("th", { scope: "row", text: r.name }),
      h("td", {}, h("span", { class: r.passed ? "play-pass" : "play-fail", text: r.passed ? "Passed" : "Failed" })),
      h("td", { text: r.error || (r.checks || []).filter((c) => !c.passed).map((c) => `${c.check}: expected ${c.expected}, got ${c.actual}`).join("; ") || "" }),
    ),
  );
  fill(
    report,
    h("p", { text: `${run.status === "done" ? "Finished" : "Running"}: ${run.done} of ${run.total} · ${run.passed} passed · ${run.failed} failed` }),
    h("progress", { class: "play-progress", max: run.total || 1, value: run.done, "aria-label": "Progress of the run" }),
    rows.length
      ? h("div", { class: "table-wrap" }, h("table", {}, h("caption", { text: "Report" }), h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Case" }), h("th", { scope: "col", text: "Result" }), h("th", { scope: "col", text: "Why" }))), h("tbody", {}, rows)))
      : null,
  );
}

async function runAll() {
  const button = $("run-all");
  button.disabled = true;
  try {
    let run = await api("POST", "/playground/runs", { assistant_id: $("play-assistant").value || null });
    renderRun(run);
    while (run.status === "queued" || run.status === "running") {
      await new Promise((resolve) => setTimeout(resolve, 700));
      run = await api("GET", `/playground/runs/${run.id}`);
      renderRun(run);
    }
    await refreshCases();
  } catch (error) {
    fill($("run-report"), h("p", { class: "field-error", role: "alert", text: error.message }));
  } finally {
    button.disabled = false;
  }
}

function csrf() {
  const part = document.cookie.split(";").map((p) => p.trim()).find((p) => p.startsWith("fd_csrf="));
  return part ? decodeURIComponent(part.slice(8)) : "";
}

async function importFile(event) {
  event.preventDefault();
  const input = $("import-file");
  const out = $("import-report");
  if (!input.files || !input.files.length) {
    fill(out, h("p", { class: "field-error", text: "Choose a file first." }));
    return;
  }
  const data = new FormData();
  data.append("file", input.files[0]);
  fill(out, h("p", { text: "Importing…" }));
  const response = await fetch("/api/v1/playground/cases/import", {
    method: "POST",
    body: data,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    fill(out, h("p", { class: "field-error", role: "alert", text: body.message || `The server answered ${response.status}.` }));
    return;
  }
  fill(
    out,
    h("p", { text: `${body.created} test case${body.created === 1 ? "" : "s"} imported.` }),
    body.errors.length ? h("ul", {}, body.errors.map((e) => h("li", { text: `${e.case || `row ${e.row}`}: ${e.message}` }))) : null,
  );
  await refreshCases();
}

function start() {
  $("play-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = $("play-message");
    const text = field.value.trim();
    if (!text) {
      field.focus();
      return;
    }
    const next = [...turns, { role: "customer", text }];
    field.value = "";
    rerun(next, next.length - 1);
  });
  $("play-reset").addEventListener("click", () => {
    turns = [];
    render();
  });
  $("case-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("case-status");
    if (!turns.length) {
      status.textContent = "Write at least one customer message first.";
      return;
    }
    const escalate = $("case-escalate").value;
    try {
      await api("POST", "/playground/cases", {
        name: $("case-name").value.trim(),
        assistant_id: $("play-assistant").value || null,
        turns: turns.map((t) => ({ role: t.role, text: t.text })),
        expected_intent: $("case-intent").value.trim() || null,
        expected_contains: $("case-contains").value.split("|").map((s) => s.trim()).filter(Boolean),
        expected_escalate: escalate === "" ? null : escalate === "yes",
      });
      status.textContent = "Saved.";
      await refreshCases();
    } catch (error) {
      status.textContent = error.message;
    }
  });
  $("run-all").addEventListener("click", runAll);
  $("import-form").addEventListener("submit", importFile);
  renderCases(boot.cases || []);
  if (boot.runs && boot.runs.length) renderRun(boot.runs[0]);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
else start();
