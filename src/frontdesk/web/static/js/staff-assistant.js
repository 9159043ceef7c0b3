// The staff assistant panel: asks over the JSON API and keeps the exchange on the page.
// Without this script the form posts and the server renders the answer; both show the same blocks.
import { api } from "./inbox-api.js";
import { h } from "./inbox-dom.js";

// Charts are SVG drawn (and escaped) by the server; parsed as SVG, never as HTML, then adopted.
function svgNode(markup) {
  const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.nodeName !== "svg" || doc.querySelector("parsererror, script, foreignObject")) return null;
  return document.importNode(root, true);
}

function tableBlock(block) {
  const rows = Array.isArray(block.rows) ? block.rows : [];
  const columns = Array.isArray(block.columns) ? block.columns : [];
  return h(
    "div",
    { class: "table-wrap", role: "region", tabindex: 0, "aria-label": block.title || "Table" },
    h(
      "table",
      {},
      h("caption", { text: block.title || "" }),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", text: c })))),
      h(
        "tbody",
        {},
        rows.length
          ? rows.map((row) => h("tr", {}, row.map((cell, i) => (i === 0 ? h("th", { scope: "row", text: cell ?? "" }) : h("td", { text: cell ?? "" })))))
          : h("tr", {}, h("td", { colspan: Math.max(1, columns.length), text: "Nothing to show." })),
      ),
    ),
  );
}

function answerNode(question, answer) {
  const blocks = (answer.blocks || []).map((block) => {
    if (block.type === "chart") {
      const svg = svgNode(block.svg || "");
      return h("figure", { class: "staff-chart" }, svg, h("figcaption", { text: block.title || "" }));
    }
    if (block.type === "table") return tableBlock(block);
    return null;
  });
  const meta = answer.tools_used && answer.tools_used.length
    ? h("p", { class: "muted staff-meta", text: `Looked up: ${answer.tools_used.join(", ")} · ${answer.model}` })
    : null;
  return h(
    "article",
    { class: "staff-answer" },
    h("h2", { class: "staff-q", text: question }),
    h("p", { class: "staff-text", text: answer.text }),
    blocks,
    meta,
  );
}

function start() {
  const form = document.getElementById("staff-form");
  const field = document.getElementById("staff-question");
  const answers = document.getElementById("staff-answers");
  if (!form || !field || !answers) return;
  for (const button of document.querySelectorAll(".staff-example")) {
    button.addEventListener("click", () => {
      field.value = button.dataset.example || "";
      field.focus();
    });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = field.value.trim();
    if (!question) {
      field.focus();
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    submit.textContent = "Thinking…";
    try {
      const answer = await api("POST", "/staff-assistant/ask", { question });
      answers.prepend(answerNode(question, answer));
      field.value = "";
    } catch (error) {
      answers.prepend(h("p", { class: "flash flash-error", role: "alert", text: error.message }));
    } finally {
      submit.disabled = false;
      submit.textContent = "Ask";
      field.focus();
    }
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
else start();
