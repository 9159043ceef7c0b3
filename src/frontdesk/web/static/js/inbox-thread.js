// The open conversation: header and actions, the timeline, the reply box, typing both ways.
// The timeline is read over REST and kept by cursor: a live event only says "something new", and
// the catch-up after the cursor brings it, so a dropped event or a reconnect cannot leave a gap.
import { api, query } from "./inbox-api.js";
import { CannedPicker } from "./inbox-canned.js";
import { fill, h, modeBadge, safeUrl, sentence, statusBadge, timeElement, toast } from "./inbox-dom.js";

const PAGE = 200;
const TYPING_EVERY = 3000;
const TYPING_SHOWN = 5000;

function kindOf(m) {
  if (m.private) return "note";
  if (m.direction === "in") return "contact";
  if (m.sender_type === "system") return "system";
  if (m.sender_type === "agent") return "agent";
  return "assistant";
}

function aiSummary(ai) {
  const bits = [];
  if (ai.intent) bits.push(`intent: ${ai.intent}`);
  if (typeof ai.confidence === "number") bits.push(`confidence ${ai.confidence.toFixed(2)}`);
  if (ai.escalated) bits.push("escalated");
  if (Array.isArray(ai.sources) && ai.sources.length) bits.push(`sources: ${aiValue(ai.sources)}`);
  return bits.length ? `AI: ${bits.join(" · ")}` : "How the assistant answered";
}

function aiValue(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(aiValue).join("; ");
  if (typeof value === "object") {
    const title = value.title || value.name || value.id;
    if (title && value.url) return `${title} (${value.url})`;
    if (title) return String(title);
    return JSON.stringify(value);
  }
  return String(value);
}

export class Thread {
  constructor(app) {
    this.app = app;
    this.root = document.getElementById("thread");
    this.id = null;
    this.detail = null;
    this.messages = new Map();
    this.cursor = null;
    this.catching = null;
    this.catchAgain = false;
    this.detailTimer = 0;
    this.readTimer = 0;
    this.typingTimer = 0;
    this.lastTypingSent = 0;
    this.drafts = new Map();
    this.ui = {};
    // The assistant's reply as it is written (inbox.js re-dispatches every socket event on window).
    this.streamText = new Map();
    window.addEventListener("frontdesk:event", (e) => this.onDelta(e.detail));
    // Whether the newest message is in view; a resize (a phone turned, a pane opened) keeps it so.
    this.stick = true;
    window.addEventListener("resize", () => {
      if (this.stick) this.scrollToEnd();
    });
  }

  get me() {
    return this.app.me;
  }

  // ---------------------------------------------------------------- loading

  async load(id) {
    if (this.id && this.ui.reply) this.drafts.set(this.id, this.ui.reply.value);
    this.id = id;
    this.detail = null;
    this.messages = new Map();
    this.cursor = null;
    this.catching = null;
    this.build(this.app.list.find(id));
    try {
      const detail = await api("GET", `/conversations/${id}`);
      if (this.id !== id) return;
      this.setDetail(detail);
      await this.catchUp();
      this.scrollToEnd();
      this.markReadSoon();
    } catch (error) {
      if (this.id !== id) return;
      fill(this.ui.timeline,
        h("li", { class: "timeline-empty", text: error.status === 404 ? "This conversation does not exist (any more)." : error.message }),
      );
    }
  }

  clear() {
    if (this.id && this.ui.reply) this.drafts.set(this.id, this.ui.reply.value);
    this.id = null;
    this.detail = null;
    fill(this.root,
      h(
        "div",
        { class: "thread-empty" },
        h("h2", { id: "thread-title", text: "No conversation open" }),
        h("p", { text: "Choose a conversation from the list. Press ? for keyboard shortcuts." }),
      ),
    );
    this.ui = {};
  }

  async catchUp() {
    if (!this.id || !this.detail) return;
    if (this.catching) {
      this.catchAgain = true;
      return this.catching;
    }
    const id = this.id;
    this.catching = (async () => {
      let sawContact = false;
      do {
        this.catchAgain = false;
        for (;;) {
          const params = this.cursor ? { after: this.cursor, limit: PAGE } : { limit: PAGE };
          const page = await api("GET", `/conversations/${id}/messages${query(params)}`);
          if (this.id !== id) return;
          const nearEnd = this.isNearEnd();
          for (const m of page.items) {
            if (m.direction === "in") sawContact = true;
            this.put(m);
          }
          if (page.next_cursor) this.cursor = page.next_cursor;
          if (page.items.length && nearEnd) this.scrollToEnd();
          if (page.items.length < PAGE) break;
        }
      } while (this.catchAgain && this.id === id);
      if (sawContact) this.markReadSoon();
    })();
    try {
      await this.catching;
    } catch (error) {
      toast(`New messages could not be loaded: ${error.message}`, { kind: "error" });
    } finally {
      this.catching = null;
    }
  }

  scheduleDetail() {
    clearTimeout(this.detailTimer);
    this.detailTimer = setTimeout(() => this.refreshDetail(), 150);
  }

  async refreshDetail() {
    if (!this.id) return;
    const id = this.id;
    try {
      const detail = await api("GET", `/conversations/${id}`);
      if (this.id === id) this.setDetail(detail);
    } catch (error) {
      if (error.status === 404 && this.id === id) this.app.close();
    }
  }

  setDetail(detail) {
    const nearEnd = this.isNearEnd();
    this.detail = detail;
    this.renderHead();
    this.renderBanner();
    // The head and banner can change height; keep the newest message in view if it was.
    if (nearEnd) this.scrollToEnd();
    this.app.panel.show(detail);
    this.app.updateTitle();
  }

  markReadSoon() {
    clearTimeout(this.readTimer);
    if (document.visibilityState !== "visible") return;
    const id = this.id;
    this.readTimer = setTimeout(async () => {
      if (this.id !== id) return;
      try {
        await api("POST", `/conversations/${id}/read`);
        this.app.list.markRead(id);
      } catch {
        // Unread counts are a convenience; the next open tries again.
      }
    }, 600);
  }

  // ---------------------------------------------------------------- building

  build(item) {
    const name = item ? item.contact_name : "Loading…";
    const ui = (this.ui = {});
    ui.title = h("h2", { id: "thread-title", text: name });
    ui.badges = h("span", { class: "thread-badges" });
    ui.sub = h("p", { class: "thread-sub" });
    ui.actions = h("div", { class: "thread-actions", role: "group", "aria-label": "Conversation actions" });
    ui.back = h("button", {
      type: "button",
      class: "back-link button-link",
      text: "← All conversations",
      onclick: () => this.app.close(),
    });
    const head = h(
      "header",
      { class: "thread-head" },
      ui.back,
      h("div", { class: "thread-title-row" }, ui.title, ui.badges),
      ui.sub,
      ui.actions,
    );
    ui.banner = h("p", { class: "thread-banner", hidden: true });
    ui.timeline = h("ol", {
      class: "timeline",
      id: "timeline",
      role: "log",
      "aria-label": "Messages",
      "aria-live": "polite",
      tabindex: "0",
    });
    ui.timeline.addEventListener("scroll", () => {
      this.stick = this.isNearEnd();
    });
    ui.typing = h("p", { class: "typing", id: "typing", "aria-live": "polite" });
    const parts = [head, ui.banner, ui.timeline, ui.typing];
    if (this.app.can.reply) parts.push(this.buildComposer());
    fill(this.root, ...parts);
    ui.timeline.append(h("li", { class: "timeline-empty", text: "Loading messages…" }));
  }

  buildComposer() {
    const ui = this.ui;
    ui.canned = h("div", { class: "canned-list", id: "canned-list", role: "listbox", "aria-label": "Canned responses", hidden: true });
    ui.reply = h("textarea", {
      id: "reply",
      name: "content",
      rows: 3,
      maxlength: 4000,
      placeholder: "Write a reply… (/ for canned responses)",
      "aria-describedby": "composer-hint",
    });
    ui.reply.value = this.drafts.get(this.id) || "";
    ui.replyLabel = h("label", { for: "reply", class: "visually-hidden", text: "Reply" });
    ui.private = h("input", { type: "checkbox", id: "reply-private", onchange: () => this.modeChanged() });
    ui.send = h("button", { type: "submit", class: "button button-primary", id: "reply-send", text: "Send" });
    ui.composer = h(
      "form",
      { class: "composer", id: "composer", onsubmit: (event) => { event.preventDefault(); this.send(); } },
      ui.canned,
      ui.replyLabel,
      ui.reply,
      h(
        "div",
        { class: "composer-bar" },
        h("label", { class: "note-toggle", for: "reply-private" }, ui.private, " Private note"),
        h("span", { class: "composer-hint", id: "composer-hint", text: "Enter sends · Shift+Enter for a new line" }),
        ui.send,
      ),
    );
    this.picker = new CannedPicker(ui.reply, ui.canned);
    ui.reply.addEventListener("keydown", (event) => this.onReplyKey(event));
    ui.reply.addEventListener("input", () => this.sendTyping());
    return ui.composer;
  }

  modeChanged() {
    const note = this.ui.private.checked;
    this.ui.composer.classList.toggle("is-note", note);
    this.ui.reply.placeholder = note ? "Write a private note: only your team sees it" : "Write a reply… (/ for canned responses)";
    this.ui.replyLabel.textContent = note ? "Private note" : "Reply";
    this.ui.send.textContent = note ? "Add note" : "Send";
  }

  onReplyKey(event) {
    if (this.picker.onKeydown(event)) {
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    } else if (event.key === "Escape") {
      this.ui.reply.blur();
    }
  }

  renderHead() {
    const d = this.detail;
    const ui = this.ui;
    if (!d || !ui.title) return;
    ui.title.textContent = d.contact_name;
    fill(ui.badges,
      statusBadge(d.status),
      modeBadge(d.mode),
      d.priority !== "none" ? h("span", { class: `badge priority priority-${d.priority}`, text: sentence(d.priority) }) : null,
    );
    const bits = [d.inbox.name, d.assignee_id ? (d.assignee_id === this.me.id ? "Assigned to you" : `Assigned to ${d.assignee_name || "someone"}`) : "Unassigned"];
    if (d.status === "snoozed" && d.snoozed_until) bits.push(`Snoozed until ${new Date(d.snoozed_until).toLocaleString()}`);
    if (d.csat) bits.push(`Rated ${d.csat.rating} out of 5`);
    ui.sub.textContent = bits.join(" · ");

    const can = this.app.can;
    const buttons = [];
    const mine = d.mode === "human" && d.assignee_id === this.me.id && d.status === "open";
    if (can.reply && !mine && d.status !== "resolved") {
      buttons.push(h("button", { type: "button", class: "button button-small button-primary", text: "Take over", onclick: () => this.takeOver() }));
    }
    if (can.manage && d.mode !== "ai") {
      buttons.push(h("button", { type: "button", class: "button button-small", text: "Hand back to AI", onclick: () => this.handBack() }));
    }
    if (can.manage && d.status !== "resolved") {
      buttons.push(h("button", { type: "button", class: "button button-small", text: "Resolve", "aria-keyshortcuts": "e", onclick: () => this.resolve() }));
    }
    if (can.manage && d.status === "resolved") {
      buttons.push(h("button", { type: "button", class: "button button-small", text: "Reopen", onclick: () => this.reopen() }));
    }
    buttons.push(
      h("button", {
        type: "button",
        class: "button button-small details-toggle",
        "aria-controls": "side",
        "aria-expanded": this.app.sideOpen ? "true" : "false",
        text: "Details",
        onclick: () => this.app.toggleSide(),
      }),
    );
    fill(ui.actions, ...buttons);
  }

  renderBanner() {
    const d = this.detail;
    const banner = this.ui.banner;
    if (!banner || !d) return;
    let text = "";
    if (d.mode === "ai" && this.app.can.reply) {
      text = "The assistant is answering this conversation. Take over to reply yourself; private notes work any time.";
    } else if (d.status === "resolved") {
      text = "This conversation is resolved. Replying reopens it.";
    } else if (d.escalation_reason && d.status === "pending") {
      text = `Waiting for a person (${d.escalation_reason.replaceAll("_", " ")}).`;
    }
    banner.textContent = text;
    banner.hidden = !text;
  }

  // ---------------------------------------------------------------- the timeline

  isNearEnd() {
    const t = this.ui.timeline;
    return !t || t.scrollHeight - t.scrollTop - t.clientHeight < 120;
  }

  scrollToEnd() {
    const t = this.ui.timeline;
    if (t) t.scrollTop = t.scrollHeight;
  }

  put(m) {
    const timeline = this.ui.timeline;
    if (!timeline) return;
    timeline.querySelector(".timeline-empty")?.remove();
    const existing = this.messages.get(m.id);
    this.messages.set(m.id, m);
    const el = this.messageEl(m);
    if (existing) {
      timeline.querySelector(`[data-id="${m.id}"]`)?.replaceWith(el);
    } else {
      timeline.append(el);
    }
  }

  update(m) {
    if (this.messages.has(m.id)) this.put(m);
  }

  isMine(m) {
    if (m.sender_type !== "agent") return false;
    if (m.sender_id) return m.sender_id === this.me.id;
    return m.sender_name === this.me.name;
  }

  messageEl(m) {
    const kind = kindOf(m);
    const classes = `msg msg-${kind}${m.deleted ? " is-deleted" : ""}`;
    if (kind === "system") {
      return h("li", { class: classes, "data-id": m.id }, h("p", { class: "msg-body", text: m.content }), timeElement(m.created_at));
    }
    const who = m.sender_name || (kind === "assistant" ? "Assistant" : kind === "contact" ? this.detail?.contact_name || "Visitor" : "Agent");
    const head = h(
      "div",
      { class: "msg-head" },
      h("span", { class: "msg-who", text: who }),
      kind === "note" ? h("span", { class: "msg-tag", text: "Private note" }) : null,
      kind === "assistant" ? h("span", { class: "msg-tag", text: "AI" }) : null,
      timeElement(m.created_at),
      m.edited_at && !m.deleted ? h("span", { class: "msg-edited", text: "(edited)" }) : null,
      kind === "agent" && m.read_at ? h("span", { class: "msg-read", text: "Seen" }) : null,
      kind === "agent" && m.delivery_status === "failed" ? h("span", { class: "msg-failed", text: "Not delivered" }) : null,
    );
    const body = h("div", { class: "msg-body" });
    if (m.deleted) {
      body.append(h("em", { text: "This message was deleted." }));
    } else {
      if (m.content) body.append(h("p", { class: "msg-text", text: m.content }));
      const choices = Array.isArray(m.payload?.choices) ? m.payload.choices : [];
      if (choices.length) {
        body.append(h("ul", { class: "msg-choices", "aria-label": "Choices offered" }, choices.map((c) => h("li", { text: c.label || c.id }))));
      }
      if (m.payload?.choice_id) body.append(h("p", { class: "msg-picked", text: `Picked: ${m.payload.choice_id}` }));
      const files = Array.isArray(m.attachments) ? m.attachments : [];
      if (files.length) {
        body.append(
          h(
            "ul",
            { class: "msg-files", "aria-label": "Attachments" },
            files.map((f) => {
              const url = safeUrl(f.url);
              const label = `${f.name || "file"}${f.size ? ` (${Math.ceil(f.size / 1024)} KB)` : ""}`;
              return h("li", {}, url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: label }) : label);
            }),
          ),
        );
      }
    }
    const parts = [head, body];
    if (m.ai && Object.keys(m.ai).length && !m.deleted) {
      parts.push(
        h(
          "details",
          { class: "msg-ai" },
          h("summary", { text: aiSummary(m.ai) }),
          h("dl", {}, Object.entries(m.ai).map(([key, value]) => [h("dt", { text: key.replaceAll("_", " ") }), h("dd", { text: aiValue(value) })])),
        ),
      );
    }
    if (this.isMine(m) && !m.deleted && this.app.can.reply) {
      parts.push(
        h(
          "div",
          { class: "msg-actions" },
          h("button", { type: "button", class: "button-link", text: "Edit", "aria-label": "Edit this message", onclick: () => this.edit(m.id) }),
          h("button", { type: "button", class: "button-link danger-link", text: "Delete", "aria-label": "Delete this message", onclick: () => this.remove(m.id) }),
        ),
      );
    }
    return h("li", { class: classes, "data-id": m.id }, parts);
  }

  edit(messageId) {
    const m = this.messages.get(messageId);
    const el = this.ui.timeline.querySelector(`[data-id="${messageId}"]`);
    if (!m || !el) return;
    const field = h("textarea", { rows: 3, maxlength: 4000, "aria-label": "Edit the message" });
    field.value = m.content;
    const form = h(
      "form",
      {
        class: "msg-edit",
        onsubmit: async (event) => {
          event.preventDefault();
          const content = field.value.trim();
          if (!content) return;
          try {
            this.put(await api("PATCH", `/messages/${messageId}`, { content }));
            toast("The message was changed.");
          } catch (error) {
            toast(error.message, { kind: "error" });
          }
        },
      },
      field,
      h(
        "div",
        { class: "msg-edit-bar" },
        h("button", { type: "submit", class: "button button-small button-primary", text: "Save" }),
        h("button", { type: "button", class: "button button-small", text: "Cancel", onclick: () => this.put(m) }),
      ),
    );
    el.querySelector(".msg-body")?.replaceWith(form);
    el.querySelector(".msg-actions")?.remove();
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.put(m);
    });
    field.focus();
  }

  async remove(messageId) {
    if (!window.confirm("Delete this message? It stays in the timeline as deleted.")) return;
    try {
      this.put(await api("DELETE", `/messages/${messageId}`));
      toast("The message was deleted.");
    } catch (error) {
      toast(error.message, { kind: "error" });
    }
  }

  // ---------------------------------------------------------------- typing

  contactTyping() {
    const el = this.ui.typing;
    if (!el) return;
    el.textContent = `${this.detail?.contact_name || "The contact"} is typing…`;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => { el.textContent = ""; }, TYPING_SHOWN);
  }

  colleagueTyping(name) {
    const el = this.ui.typing;
    if (!el) return;
    el.textContent = `${name || "A colleague"} is typing…`;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => { el.textContent = ""; }, TYPING_SHOWN);
  }

  sendTyping() {
    if (!this.id || !this.ui.reply || this.ui.private.checked || !this.ui.reply.value.trim()) return;
    if (this.detail && this.detail.mode === "ai") return;
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_EVERY) return;
    if (this.app.socket.typing(this.id)) this.lastTypingSent = now;
  }

  // ---------------------------------------------------------------- actions

  focusReply() {
    if (!this.ui.reply) return;
    this.app.showThread();
    this.ui.reply.focus();
  }

  async send() {
    if (!this.id || !this.ui.reply) return;
    const content = this.ui.reply.value.trim();
    if (!content) {
      this.ui.reply.focus();
      return;
    }
    const isPrivate = this.ui.private.checked;
    const body = { content, private: isPrivate, client_id: crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}` };
    this.ui.send.disabled = true;
    try {
      const message = await api("POST", `/conversations/${this.id}/messages`, body);
      this.ui.reply.value = "";
      this.drafts.delete(this.id);
      this.put(message);
      this.scrollToEnd();
      if (isPrivate) {
        this.ui.private.checked = false;
        this.modeChanged();
      }
      await this.catchUp();
      if (!isPrivate) this.scheduleDetail();
    } catch (error) {
      if (error.code === "take_over_first") {
        toast(error.message, {
          kind: "error",
          action: h("button", { type: "button", class: "button button-small", text: "Take over", onclick: () => this.takeOver() }),
        });
      } else {
        toast(`Not sent: ${error.message}`, { kind: "error" });
      }
    } finally {
      this.ui.send.disabled = false;
      this.ui.reply.focus();
    }
  }

  async act(method, path, body, done) {
    if (!this.id) return;
    try {
      const detail = await api(method, `/conversations/${this.id}${path}`, body);
      if (detail && detail.id === this.id) this.setDetail(detail);
      await this.catchUp();
      this.app.list.schedule();
      if (done) toast(done);
    } catch (error) {
      toast(error.message, { kind: "error" });
    }
  }

  takeOver() {
    return this.act("POST", "/take-over", undefined, "You have the conversation now.");
  }

  handBack() {
    return this.act("POST", "/hand-back", undefined, "The assistant answers this conversation again.");
  }

  resolve() {
    if (!this.detail || this.detail.status === "resolved" || !this.app.can.manage) return undefined;
    return this.act("PATCH", "", { status: "resolved" }, "Resolved.");
  }

  reopen() {
    return this.act("PATCH", "", { status: "open" }, "Reopened.");
  }

  // ---------------------------------------------------------------- live events

  onDelta(event) {
    if (!event || event.type !== "message.delta" || event.conversation_id !== this.id || !this.ui.typing) return;
    const text = (this.streamText.get(event.stream_id) || "") + String(event.delta || "");
    this.streamText.set(event.stream_id, text);
    this.ui.typing.textContent = `${event.sender_name || "Assistant"} is writing: ${text}`;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => { this.ui.typing.textContent = ""; }, 5000);
  }

  onMessageEvent(event) {
    if (event.message?.payload?.stream_id && this.streamText.delete(event.message.payload.stream_id) && this.ui.typing) {
      this.ui.typing.textContent = "";
    }
    if (event.conversation_id !== this.id) return;
    if (event.type === "message.created" && event.message?.direction === "in" && this.ui.typing) {
      clearTimeout(this.typingTimer);
      this.ui.typing.textContent = "";
    }
    if (event.type === "message.updated" && event.message) this.update(event.message);
    else this.catchUp();
  }
}
