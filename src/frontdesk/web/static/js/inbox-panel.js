// The side panel: the conversation's settings (assignee, team, priority, labels, snooze), the
// contact with their editable attributes, and their previous conversations.
import { api, query } from "./inbox-api.js";
import { fill, h, PRIORITIES, sentence, statusBadge, timeElement, toast } from "./inbox-dom.js";

const KEY = /^[a-z][a-z0-9_]{0,79}$/;
const TYPES = ["string", "number", "boolean", "date", "json"];

let fieldCounter = 0;
const fieldId = (name) => `side-${name}-${++fieldCounter}`;

function labelled(text, control) {
  if (!control.id) control.id = fieldId("field");
  return h("div", { class: "side-field" }, h("label", { for: control.id, text }), control);
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function attributeText(attr) {
  if (attr.value === null || attr.value === undefined) return "";
  if (attr.type === "boolean") return attr.value ? "Yes" : "No";
  if (attr.type === "json") return JSON.stringify(attr.value);
  return String(attr.value);
}

export class SidePanel {
  constructor(app) {
    this.app = app;
    this.root = document.getElementById("side");
    this.detail = null;
    this.contactId = null;
    this.contact = null;
    this.attributes = [];
    this.history = [];
    this.sections = {
      conversation: h("section", { class: "side-section", "aria-labelledby": "side-conv-title" }),
      contact: h("section", { class: "side-section", "aria-labelledby": "side-contact-title" }),
      history: h("section", { class: "side-section", "aria-labelledby": "side-history-title" }),
    };
  }

  clear() {
    this.detail = null;
    this.contactId = null;
    fill(this.root);
  }

  show(detail) {
    const contactChanged = detail.contact_id !== this.contactId;
    this.detail = detail;
    if (!this.root.contains(this.sections.conversation)) {
      const close = h("button", { type: "button", class: "button button-small side-close", text: "Close details", onclick: () => this.app.toggleSide(false) });
      fill(this.root, close, this.sections.conversation, this.sections.contact, this.sections.history);
    }
    this.renderConversation();
    if (contactChanged) {
      this.contactId = detail.contact_id;
      this.contact = null;
      this.attributes = [];
      this.history = [];
      this.renderContact();
      this.renderHistory();
      this.loadContact(detail.contact_id);
    } else {
      this.renderHistory();
    }
  }

  async loadContact(contactId) {
    if (!this.app.can.contacts_read) {
      this.contact = this.detail.contact;
      this.renderContact();
      return;
    }
    try {
      const [contact, attributes, history] = await Promise.all([
        api("GET", `/contacts/${contactId}`),
        api("GET", `/contacts/${contactId}/attributes`),
        api("GET", `/contacts/${contactId}/conversations${query({ per_page: 10 })}`),
      ]);
      if (this.contactId !== contactId) return;
      this.contact = contact;
      this.attributes = attributes;
      this.history = history.items;
    } catch (error) {
      if (this.contactId !== contactId) return;
      this.contact = this.detail.contact;
      toast(`The contact could not be loaded: ${error.message}`, { kind: "error" });
    }
    this.renderContact();
    this.renderHistory();
  }

  async patch(body, done) {
    const id = this.detail?.id;
    if (!id) return;
    try {
      const detail = await api("PATCH", `/conversations/${id}`, body);
      if (this.app.thread.id === id) this.app.thread.setDetail(detail);
      this.app.list.schedule();
      if (done) toast(done);
    } catch (error) {
      toast(error.message, { kind: "error" });
      this.renderConversation();
    }
  }

  // ---------------------------------------------------------------- the conversation

  renderConversation() {
    const d = this.detail;
    const section = this.sections.conversation;
    const title = h("h2", { class: "side-title", id: "side-conv-title", text: "Conversation" });
    if (!this.app.can.manage) {
      fill(section,
        title,
        h(
          "dl",
          { class: "side-facts" },
          h("dt", { text: "Assignee" }), h("dd", { text: d.assignee_name || "Nobody" }),
          h("dt", { text: "Team" }), h("dd", { text: this.teamName(d.team_id) || "None" }),
          h("dt", { text: "Priority" }), h("dd", { text: sentence(d.priority) }),
          h("dt", { text: "Labels" }), h("dd", { text: d.labels.join(", ") || "None" }),
        ),
      );
      return;
    }
    const assignee = h("select", { onchange: () => this.assign(assignee.value) });
    assignee.append(h("option", { value: "", text: "Nobody (unassigned)" }));
    const people = [...this.app.agents.values()];
    if (d.assignee_id && !this.app.agents.has(d.assignee_id)) people.push({ id: d.assignee_id, name: d.assignee_name || "Someone", status: "offline" });
    for (const agent of people) {
      const you = agent.id === this.app.me.id ? " (you)" : "";
      const state = agent.status === "online" ? (agent.availability === "busy" ? " · busy" : " · online") : " · offline";
      assignee.append(h("option", { value: agent.id, text: `${agent.name}${you}${state}`, selected: agent.id === d.assignee_id }));
    }
    const team = h("select", { onchange: () => this.patch({ team_id: team.value || null }, team.value ? "Moved to the team." : "The team was cleared.") });
    team.append(h("option", { value: "", text: "No team" }));
    for (const t of this.app.teams) team.append(h("option", { value: t.id, text: t.name, selected: t.id === d.team_id }));
    const priority = h("select", { onchange: () => this.patch({ priority: priority.value }) });
    for (const p of PRIORITIES) priority.append(h("option", { value: p, text: p === "none" ? "No priority" : sentence(p), selected: p === d.priority }));

    fill(section,
      title,
      labelled("Assignee", assignee),
      labelled("Team", team),
      labelled("Priority", priority),
      this.labelsEditor(d),
      this.snoozeEditor(d),
      d.csat
        ? h("p", { class: "side-csat" }, `Rated ${d.csat.rating} out of 5`, d.csat.comment ? h("q", { text: d.csat.comment }) : null)
        : null,
    );
  }

  teamName(id) {
    return this.app.teams.find((t) => t.id === id)?.name || "";
  }

  assign(value) {
    if (!value) return this.patch({ assignee_id: null }, "Unassigned.");
    const who = this.app.agents.get(value);
    return this.patch({ assignee_id: value }, `Assigned to ${value === this.app.me.id ? "you" : who?.name || "them"}.`);
  }

  labelsEditor(d) {
    const input = h("input", { type: "text", maxlength: 50, autocomplete: "off", spellcheck: "false", id: fieldId("label") });
    const chips = h(
      "ul",
      { class: "chips", "aria-label": "Labels" },
      d.labels.map((label) =>
        h(
          "li",
          { class: "chip" },
          h("span", { text: label }),
          h("button", {
            type: "button",
            class: "chip-remove",
            "aria-label": `Remove the label ${label}`,
            text: "×",
            onclick: () => this.patch({ labels: d.labels.filter((l) => l !== label) }),
          }),
        ),
      ),
    );
    const form = h(
      "form",
      {
        class: "side-inline",
        onsubmit: (event) => {
          event.preventDefault();
          const label = input.value.trim().toLowerCase();
          if (!label) return;
          if (/["\\]/.test(label)) {
            toast("Labels cannot contain quotes or backslashes.", { kind: "error" });
            return;
          }
          this.patch({ labels: [...new Set([...d.labels, label])] });
        },
      },
      h("label", { for: input.id, class: "visually-hidden", text: "New label" }),
      input,
      h("button", { type: "submit", class: "button button-small", text: "Add label" }),
    );
    return h("div", { class: "side-field" }, h("p", { class: "side-label", text: "Labels" }), d.labels.length ? chips : h("p", { class: "muted", text: "No labels yet." }), form);
  }

  snoozeEditor(d) {
    if (d.status === "snoozed") {
      return h(
        "div",
        { class: "side-field" },
        h("p", { class: "side-label", text: "Snoozed" }),
        h("p", {}, "Until ", timeElement(d.snoozed_until, { long: true })),
        h("button", { type: "button", class: "button button-small", text: "Wake it now", onclick: () => this.patch({ status: d.assignee_id ? "open" : "pending" }, "Back in the queue.") }),
      );
    }
    if (d.status === "resolved") return null;
    const tomorrow = new Date();
    tomorrow.setDate(tomorrow.getDate() + 1);
    tomorrow.setHours(9, 0, 0, 0);
    const until = h("input", { type: "datetime-local", id: fieldId("snooze"), value: localInputValue(tomorrow), required: true });
    const preset = (label, hours) =>
      h("button", {
        type: "button",
        class: "button-link",
        text: label,
        onclick: () => { until.value = localInputValue(new Date(Date.now() + hours * 3600_000)); },
      });
    return h(
      "form",
      {
        class: "side-field snooze",
        onsubmit: (event) => {
          event.preventDefault();
          const when = new Date(until.value);
          if (Number.isNaN(when.getTime()) || when <= new Date()) {
            toast("Pick a time in the future to snooze until.", { kind: "error" });
            return;
          }
          this.patch({ status: "snoozed", snoozed_until: when.toISOString() }, "Snoozed. It comes back on its own, or when the contact writes.");
        },
      },
      h("label", { for: until.id, text: "Snooze until" }),
      h("div", { class: "side-inline" }, until, h("button", { type: "submit", class: "button button-small", text: "Snooze" })),
      h("p", { class: "presets" }, preset("In 1 hour", 1), " · ", preset("In 4 hours", 4), " · ", preset("In a week", 24 * 7)),
    );
  }

  // ---------------------------------------------------------------- the contact

  renderContact() {
    const c = this.contact || this.detail.contact;
    const facts = [["Name", c.name || "Visitor"], ["Email", c.email], ["Phone", c.phone]].filter(([, v]) => v);
    const dl = h("dl", { class: "side-facts" }, facts.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
    dl.append(h("dt", { text: "Last seen" }), h("dd", {}, timeElement(c.last_seen_at, { long: true }) || "Never"));
    if (c.description) dl.append(h("dt", { text: "About" }), h("dd", { text: c.description }));
    fill(this.sections.contact,
      h("h2", { class: "side-title", id: "side-contact-title", text: "Contact" }),
      dl,
      this.app.can.contacts_read ? this.attributesEditor() : null,
    );
  }

  attributesEditor() {
    const canWrite = this.app.can.contacts_write;
    const rows = this.attributes.map((attr) => {
      const actions = canWrite
        ? h(
            "span",
            { class: "attr-actions" },
            h("button", { type: "button", class: "button-link", text: "Edit", "aria-label": `Edit ${attr.key}`, onclick: (e) => this.editAttribute(attr, e.target.closest("div")) }),
            h("button", { type: "button", class: "button-link danger-link", text: "Remove", "aria-label": `Remove ${attr.key}`, onclick: () => this.removeAttribute(attr.key) }),
          )
        : null;
      return h("div", { class: "attr", "data-key": attr.key }, h("dt", { text: attr.key }), h("dd", {}, h("span", { class: "attr-value", text: attributeText(attr) }), actions));
    });
    const list = rows.length ? h("dl", { class: "attrs" }, rows) : h("p", { class: "muted", text: "No attributes yet." });
    return h("div", { class: "side-field" }, h("h3", { class: "side-subtitle", text: "Attributes" }), list, canWrite ? this.addAttributeForm() : null);
  }

  valueInput(type, value) {
    let input;
    if (type === "boolean") {
      input = h("select", {}, h("option", { value: "true", text: "Yes", selected: value === true }), h("option", { value: "false", text: "No", selected: value === false }));
    } else if (type === "json") {
      input = h("textarea", { rows: 2 });
      input.value = value === undefined || value === null ? "" : JSON.stringify(value);
    } else {
      input = h("input", { type: type === "number" ? "number" : type === "date" ? "date" : "text", step: type === "number" ? "any" : null });
      input.value = value === undefined || value === null ? "" : String(value);
    }
    input.id = fieldId("attr");
    return input;
  }

  readValue(type, input) {
    if (type === "json") return JSON.parse(input.value);
    if (type === "boolean") return input.value === "true";
    return input.value;
  }

  editAttribute(attr, row) {
    const input = this.valueInput(attr.type, attr.value);
    const form = h(
      "form",
      {
        class: "side-inline attr-edit",
        onsubmit: (event) => {
          event.preventDefault();
          let value;
          try {
            value = this.readValue(attr.type, input);
          } catch {
            toast("That is not valid JSON.", { kind: "error" });
            return;
          }
          this.saveAttribute(attr.key, attr.type, value);
        },
      },
      h("label", { for: input.id, class: "visually-hidden", text: `New value of ${attr.key}` }),
      input,
      h("button", { type: "submit", class: "button button-small", text: "Save" }),
      h("button", { type: "button", class: "button button-small", text: "Cancel", onclick: () => this.renderContact() }),
    );
    row.querySelector("dd").replaceChildren(form);
    input.focus();
  }

  addAttributeForm() {
    const key = h("input", { type: "text", id: fieldId("attr-key"), maxlength: 80, autocomplete: "off", spellcheck: "false", placeholder: "plan" });
    const type = h("select", { id: fieldId("attr-type") }, TYPES.map((t) => h("option", { value: t, text: t })));
    let value = this.valueInput("string", "");
    const valueBox = h("div", { class: "attr-value-box" }, h("label", { for: value.id, text: "Value" }), value);
    type.addEventListener("change", () => {
      value = this.valueInput(type.value, type.value === "boolean" ? true : "");
      fill(valueBox, h("label", { for: value.id, text: "Value" }), value);
    });
    return h(
      "details",
      { class: "attr-add" },
      h("summary", { text: "Add an attribute" }),
      h(
        "form",
        {
          onsubmit: (event) => {
            event.preventDefault();
            const name = key.value.trim();
            if (!KEY.test(name)) {
              toast("Keys use lowercase letters, digits and _, and start with a letter.", { kind: "error" });
              return;
            }
            let parsed;
            try {
              parsed = this.readValue(type.value, value);
            } catch {
              toast("That is not valid JSON.", { kind: "error" });
              return;
            }
            this.saveAttribute(name, type.value, parsed);
          },
        },
        labelled("Key", key),
        labelled("Type", type),
        valueBox,
        h("button", { type: "submit", class: "button button-small", text: "Add attribute" }),
      ),
    );
  }

  async saveAttribute(key, type, value) {
    const contactId = this.contactId;
    try {
      const saved = await api("PUT", `/contacts/${contactId}/attributes/${encodeURIComponent(key)}`, { type, value });
      if (this.contactId !== contactId) return;
      this.attributes = [...this.attributes.filter((a) => a.key !== key), saved].sort((a, b) => a.key.localeCompare(b.key));
      this.renderContact();
      toast(`${key} was saved.`);
    } catch (error) {
      toast(error.message, { kind: "error" });
    }
  }

  async removeAttribute(key) {
    const contactId = this.contactId;
    try {
      await api("DELETE", `/contacts/${contactId}/attributes/${encodeURIComponent(key)}`);
      if (this.contactId !== contactId) return;
      this.attributes = this.attributes.filter((a) => a.key !== key);
      this.renderContact();
      toast(`${key} was removed.`);
    } catch (error) {
      toast(error.message, { kind: "error" });
    }
  }

  // ---------------------------------------------------------------- previous conversations

  renderHistory() {
    const current = this.detail?.id;
    const others = this.history.filter((c) => c.id !== current);
    const title = h("h2", { class: "side-title", id: "side-history-title", text: "Previous conversations" });
    if (!others.length) {
      fill(this.sections.history, title, h("p", { class: "muted", text: this.contact ? "None." : "Loading…" }));
      return;
    }
    fill(this.sections.history,
      title,
      h(
        "ul",
        { class: "history" },
        others.map((c) =>
          h(
            "li",
            {},
            h(
              "a",
              {
                href: `/app/inbox/${c.id}`,
                onclick: (event) => {
                  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                  event.preventDefault();
                  this.app.open(c.id);
                },
              },
              timeElement(c.created_at, { long: true }),
              c.subject ? ` · ${c.subject}` : "",
            ),
            " ",
            statusBadge(c.status),
          ),
        ),
      ),
    );
  }
}
