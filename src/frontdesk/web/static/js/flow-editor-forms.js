// The side panel: one small form per node type, built from a description of its fields. Values are
// written back into the node object on every change; the server validates everything again.

const CHOICES = { kind: "lines", hint: "One per line: id|label" };

export const FIELDS = {
  send_message: { text: { kind: "textarea" }, media_url: {}, media_type: { options: ["image", "video", "audio", "document"] }, choices: CHOICES, style: { options: ["buttons", "list"] } },
  ask: {
    question: { kind: "textarea" },
    answer_type: { options: ["text", "number", "email", "phone", "date", "choice", "yes_no"] },
    choices: CHOICES,
    store_in: { hint: "state.NAME or attribute.KEY" },
    retry_message: {},
    max_retries: { kind: "number" },
  },
  wait: { mode: { options: ["duration", "until"] }, amount: { kind: "number" }, unit: { options: ["seconds", "minutes", "hours", "days", "weeks"] }, until_time: { hint: "HH:MM" }, timezone: { hint: "contact, organization or an IANA zone" } },
  condition: { mode: { options: ["all", "any"] }, rules: { kind: "json", hint: '[{"left": "state.x", "op": "==", "right": "y"}]' } },
  set_attribute: { key: {}, value_type: { options: ["string", "number", "boolean", "date", "json"] }, source: { options: ["literal", "template", "expression"] }, value: {} },
  set_state: { name: {}, value_type: { options: ["string", "number", "boolean", "date", "json"] }, source: { options: ["literal", "template", "expression"] }, value: {} },
  webhook_action: { method: { options: ["GET", "POST", "PUT", "PATCH", "DELETE"] }, url: {}, headers: { kind: "json", hint: '{"Authorization": "Bearer …"}' }, body: { kind: "textarea" }, timeout_seconds: { kind: "number" }, retries: { kind: "number" }, save_as: {} },
  ai_reply: { assistant_id: {}, extra_instructions: { kind: "textarea" }, save_as: {} },
  handoff: { reason: {}, team_id: {}, then: { options: ["end", "pause"] } },
  jump: { target_node: {}, target_flow_id: {} },
  end: { message: { kind: "textarea" } },
};

export const PORTS = {
  send_message: ["next"], ask: ["next", "invalid"], wait: ["next"], condition: ["true", "false"],
  set_attribute: ["next"], set_state: ["next"], webhook_action: ["next", "failure"],
  ai_reply: ["next", "escalate", "failure"], handoff: ["next"], jump: [], end: [],
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children) node.append(child);
  return node;
}

function shown(kind, value) {
  if (value === undefined || value === null) return "";
  if (kind === "lines") return value.map((c) => `${c.id}|${c.label}`).join("\n");
  if (kind === "json") return JSON.stringify(value, null, 1);
  return String(value);
}

function parsed(kind, text) {
  if (kind === "number") return text === "" ? undefined : Number(text);
  if (kind === "lines") {
    return text.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
      const [id, ...rest] = l.split("|");
      return { id: id.trim(), label: (rest.join("|") || id).trim() };
    });
  }
  if (kind === "json") return text.trim() ? JSON.parse(text) : undefined;
  return text === "" ? undefined : text;
}

export function renderPanel(panel, node, { issues, canManage, onChange, onStart, onDelete, isStart }) {
  panel.replaceChildren();
  panel.append(el("h2", {}, `${node.id}`), el("p", { class: "flow-node-type" }, node.type + (isStart ? " · start" : "")));
  for (const issue of issues) panel.append(el("p", { class: "form-error", role: "alert" }, issue.message));
  const form = el("form", { class: "flow-node-form" });
  const fields = { label: {}, ...(FIELDS[node.type] || {}) };
  for (const [name, spec] of Object.entries(fields)) {
    const id = `f-${name}`;
    const kind = spec.kind || (spec.options ? "select" : "text");
    let input;
    if (spec.options) {
      input = el("select", { id, name });
      for (const o of spec.options) input.append(el("option", { value: o, selected: String(node[name] ?? "") === o }, o));
      if (node[name] === undefined) input.value = "";
    } else if (["textarea", "lines", "json"].includes(kind)) {
      input = el("textarea", { id, name, rows: kind === "textarea" ? 3 : 4 });
      input.value = shown(kind, node[name]);
    } else {
      input = el("input", { id, name, type: kind === "number" ? "number" : "text", step: "any" });
      input.value = shown(kind, node[name]);
    }
    input.disabled = !canManage;
    const error = el("span", { class: "field-error", "aria-live": "polite" });
    input.addEventListener("change", () => {
      try {
        const value = spec.options ? input.value || undefined : parsed(kind, input.value);
        if (value === undefined) delete node[name];
        else node[name] = value;
        error.textContent = "";
        onChange();
      } catch {
        error.textContent = "This is not valid JSON.";
      }
    });
    form.append(el("p", { class: "field" }, el("label", { for: id }, name.replaceAll("_", " ")), input, spec.hint ? el("small", {}, spec.hint) : "", error));
  }
  panel.append(form);
  if (canManage) {
    const start = el("button", { type: "button", class: "button", disabled: isStart }, "Make start node");
    start.addEventListener("click", onStart);
    const del = el("button", { type: "button", class: "button button-danger" }, "Delete node");
    del.addEventListener("click", onDelete);
    panel.append(el("div", { class: "actions" }, start, del));
  }
}
