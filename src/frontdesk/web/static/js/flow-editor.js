// The flow editor page: loads the draft over the JSON API, draws it, edits it, saves, validates,
// publishes, restores versions, imports/exports JSON and runs the draft in a test panel.

import { api } from "./inbox-api.js";
import { Canvas } from "./flow-editor-canvas.js";
import { renderPanel } from "./flow-editor-forms.js";

const DEFAULTS = {
  send_message: { text: "Hello!" },
  ask: { question: "What's your name?", answer_type: "text", store_in: "state.name" },
  wait: { mode: "duration", amount: 1, unit: "hours" },
  condition: { rules: [{ left: "state.name", op: "is_set" }] },
  set_attribute: { key: "source", value_type: "string", source: "literal", value: "bot" },
  set_state: { name: "step", value_type: "number", source: "literal", value: 1 },
  webhook_action: { url: "https://example.com/hook", method: "POST" },
  ai_reply: {},
  handoff: { reason: "flow_handoff" },
  jump: { target_node: "" },
  end: { message: "" },
};

class Editor {
  constructor(root) {
    this.root = root;
    this.flowId = root.dataset.flowId;
    this.canManage = root.dataset.canManage === "true";
    this.graph = { start: null, nodes: [], edges: [] };
    this.selected = null;
    this.issues = [];
    this.issuesByNode = new Map();
    this.status = root.querySelector("#flow-status");
    this.panel = root.querySelector("#flow-panel");
    this.canvas = new Canvas(root.querySelector("#flow-canvas"), this);
    this.dirty = false;
    root.querySelector('[data-action="add"]')?.addEventListener("click", () => this.add());
    root.querySelector('[data-action="save"]')?.addEventListener("click", () => this.save());
    root.querySelector('[data-action="publish"]')?.addEventListener("click", () => this.publish());
    root.querySelector('[data-action="test"]')?.addEventListener("click", () => this.testRun());
    root.querySelector('[data-action="export"]')?.addEventListener("click", () => this.exportJson());
    root.querySelector('[data-action="import"]')?.addEventListener("click", () => root.querySelector("#flow-import-file").click());
    root.querySelector("#flow-import-file")?.addEventListener("change", (e) => this.importJson(e.target.files[0]));
    root.querySelector("#flow-test-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.answer();
    });
    document.querySelectorAll("[data-restore]").forEach((b) => b.addEventListener("click", () => this.restore(b.dataset.restore)));
    document.addEventListener("keydown", (e) => {
      if ((e.key === "Delete" || e.key === "Backspace") && this.selected && this.canManage && !/INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) {
        e.preventDefault();
        this.removeSelected();
      }
    });
    window.addEventListener("beforeunload", (e) => {
      if (this.dirty) e.preventDefault();
    });
  }

  say(text, kind = "info") {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
  }

  async load() {
    const flow = await api("GET", `/flows/${this.flowId}`);
    this.graph = { start: flow.draft.start ?? null, nodes: flow.draft.nodes || [], edges: flow.draft.edges || [] };
    for (const n of this.graph.nodes) n.position = n.position || { x: 40, y: 40 };
    this.setIssues(flow.issues);
    this.draw();
  }

  setIssues(issues) {
    this.issues = issues;
    this.issuesByNode = new Map();
    for (const i of issues) {
      if (!i.node_id) continue;
      if (!this.issuesByNode.has(i.node_id)) this.issuesByNode.set(i.node_id, []);
      this.issuesByNode.get(i.node_id).push(i);
    }
    const list = this.root.querySelector("#flow-issues");
    list.replaceChildren(...issues.map((i) => {
      const li = document.createElement("li");
      li.textContent = `${i.node_id ? `${i.node_id}: ` : ""}${i.message}`;
      if (i.node_id) li.addEventListener("click", () => this.select({ node: i.node_id }));
      return li;
    }));
  }

  draw() {
    this.canvas.draw();
    const node = this.selected?.node && this.graph.nodes.find((n) => n.id === this.selected.node);
    if (node) {
      renderPanel(this.panel, node, {
        issues: this.issuesByNode.get(node.id) || [],
        canManage: this.canManage,
        isStart: this.graph.start === node.id,
        onChange: () => this.changed(),
        onStart: () => {
          this.graph.start = node.id;
          this.changed();
        },
        onDelete: () => this.removeSelected(),
      });
    }
  }

  select(what) {
    this.selected = what;
    this.draw();
  }

  changed() {
    this.dirty = true;
    this.say("Unsaved changes");
    this.draw();
  }

  add() {
    const type = this.root.querySelector("#flow-add-type").value;
    let n = this.graph.nodes.length + 1;
    while (this.graph.nodes.some((x) => x.id === `${type}_${n}`)) n += 1;
    const last = this.graph.nodes[this.graph.nodes.length - 1];
    const position = last ? { x: last.position.x, y: last.position.y + 110 } : { x: 40, y: 40 };
    const node = { id: `${type}_${n}`, type, position, ...structuredClone(DEFAULTS[type] || {}) };
    this.graph.nodes.push(node);
    if (!this.graph.start) this.graph.start = node.id;
    this.selected = { node: node.id };
    this.changed();
  }

  connect(source, port, target) {
    this.graph.edges = this.graph.edges.filter((e) => !(e.source === source && e.port === port));
    this.graph.edges.push({ source, port, target });
    this.changed();
  }

  removeSelected() {
    if (this.selected?.edge !== undefined) {
      this.graph.edges.splice(this.selected.edge, 1);
    } else if (this.selected?.node) {
      const id = this.selected.node;
      this.graph.nodes = this.graph.nodes.filter((n) => n.id !== id);
      this.graph.edges = this.graph.edges.filter((e) => e.source !== id && e.target !== id);
      if (this.graph.start === id) this.graph.start = this.graph.nodes[0]?.id ?? null;
      this.panel.replaceChildren();
    }
    this.selected = null;
    this.changed();
  }

  async save() {
    try {
      const flow = await api("PATCH", `/flows/${this.flowId}`, { graph: this.graph });
      this.dirty = false;
      this.setIssues(flow.issues);
      this.draw();
      this.say(flow.issues.length ? `Saved, with ${flow.issues.length} problem(s) to fix before publishing.` : "Saved.");
      return flow;
    } catch (err) {
      this.say(err.message, "error");
      return null;
    }
  }

  async publish() {
    if (!(await this.save())) return;
    try {
      const version = await api("POST", `/flows/${this.flowId}/publish`, {});
      this.say(`Published version ${version.number}.`);
      setTimeout(() => location.reload(), 600);
    } catch (err) {
      if (err.details?.issues) this.setIssues(err.details.issues);
      this.draw();
      this.say(err.message, "error");
    }
  }

  async restore(number) {
    if (this.dirty && !confirm("Discard unsaved changes and restore this version as the draft?")) return;
    await api("POST", `/flows/${this.flowId}/versions/${number}/restore`);
    this.dirty = false;
    await this.load();
    this.say(`Version ${number} is the draft again. Publish to make it live.`);
  }

  async exportJson() {
    const data = await api("GET", `/flows/${this.flowId}/export`);
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${data.name.replace(/[^\w-]+/g, "_")}.flow.json`;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  async importJson(file) {
    if (!file) return;
    try {
      const flow = await api("POST", "/flows/import", JSON.parse(await file.text()));
      location.assign(`/app/flows/${flow.id}`);
    } catch (err) {
      this.say(`Import failed: ${err.message}`, "error");
    }
  }

  async testRun() {
    if (!(await this.save())) return;
    const panel = this.root.querySelector("#flow-test");
    panel.hidden = false;
    try {
      const run = await api("POST", `/flows/${this.flowId}/test-runs`, {});
      this.run = run;
      this.showRun(run);
      this.poll();
    } catch (err) {
      if (err.details?.issues) this.setIssues(err.details.issues);
      this.draw();
      this.say(err.message, "error");
    }
  }

  async answer() {
    const input = this.root.querySelector("#flow-test-input");
    if (!this.run || !input.value.trim()) return;
    try {
      await api("POST", `/flow-executions/${this.run.id}/input`, { text: input.value });
      input.value = "";
      this.poll();
    } catch (err) {
      this.say(err.message, "error");
    }
  }

  async poll() {
    for (let i = 0; i < 40; i += 1) {
      const run = await api("GET", `/flow-executions/${this.run.id}`);
      this.showRun(run);
      if (run.status !== "running") return;
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  showRun(run) {
    const chat = this.root.querySelector("#flow-chat");
    chat.replaceChildren(...run.transcript.map((t) => {
      const li = document.createElement("li");
      li.className = `from-${t.from}`;
      li.textContent = t.text + (t.payload?.choices ? `  [${t.payload.choices.map((c) => c.label).join(" | ")}]` : "");
      return li;
    }));
    this.root.querySelector("#flow-state").textContent = JSON.stringify(run.state, null, 2);
    this.root.querySelector("#flow-steps").replaceChildren(...run.step_log.map((s) => {
      const li = document.createElement("li");
      li.textContent = `${s.node_id} → ${s.port ?? "wait"} (${s.duration_ms} ms)${s.error ? ` · ${s.error}` : ""}`;
      return li;
    }));
    this.say(`Test run: ${run.status}${run.waiting_for ? `, waiting for ${run.waiting_for}` : ""}${run.error ? ` · ${run.error}` : ""}`);
    this.selected = run.current_node ? { node: run.current_node } : this.selected;
    this.draw();
  }
}

const root = document.getElementById("flow-editor");
if (root) {
  const editor = new Editor(root);
  editor.load().catch((err) => editor.say(err.message, "error"));
}
