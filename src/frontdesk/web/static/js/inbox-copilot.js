// Copilot in the inbox: the assistant's pending draft (edit, approve and send, reject, revise with AI)
// and the writing aids (suggest a reply, summarise, improve my text). It lives in the side panel and
// follows whichever conversation is open; the inbox re-renders the panel freely, so it re-attaches.
import { api } from "./inbox-api.js";
import { fill, h } from "./inbox-dom.js";

const POLL_MS = 5000;
const ID = /^\/app\/inbox\/([0-9a-f-]{36})$/;
const QUICK = ["Shorter", "More formal", "Friendlier", "Apologise"];

class Copilot {
  constructor(side, can) {
    this.side = side;
    this.can = can;
    this.conversationId = null;
    this.draft = null;
    this.busy = false;
    this.status = h("p", { class: "copilot-draft-meta", role: "status", "aria-live": "polite" });
    this.draftBox = h("div", { class: "copilot-draft" });
    this.output = h("div", { class: "copilot-aid" });
    this.root = h(
      "section",
      { class: "side-section copilot-panel", id: "copilot-panel", "aria-labelledby": "copilot-title" },
      h("h2", { class: "side-title", id: "copilot-title", text: "Copilot" }),
      this.draftBox,
      h(
        "div",
        { class: "copilot-actions" },
        // Viewers may read a summary; writing aids are for people who reply.
        can.reply ? this.button("Suggest a reply", () => this.aid("suggest")) : null,
        this.button("Summarise", () => this.aid("summary")),
        can.reply ? this.button("Improve my text", () => this.aid("improve")) : null,
        can.reply ? this.button("Draft now", () => this.requestDraft()) : null,
      ),
      this.output,
      this.status,
    );
    new MutationObserver(() => this.attach()).observe(side, { childList: true });
    setInterval(() => this.tick(), 500);
    setInterval(() => this.conversationId && this.loadDraft(), POLL_MS);
  }

  button(text, onclick, extra = {}) {
    return h("button", { type: "button", class: "button button-small", text, onclick, ...extra });
  }

  attach() {
    if (this.conversationId && !this.side.contains(this.root) && this.side.childElementCount) {
      // First among the sections: a waiting draft is what the agent came for.
      this.side.insertBefore(this.root, this.side.querySelector(".side-section"));
    }
  }

  tick() {
    const match = ID.exec(location.pathname);
    const id = match ? match[1] : null;
    if (id !== this.conversationId) {
      this.conversationId = id;
      this.draft = null;
      fill(this.output);
      this.say("");
      if (id) this.loadDraft();
      else this.root.remove();
    }
    this.attach();
  }

  say(text) {
    this.status.textContent = text;
  }

  replyBox() {
    return document.getElementById("reply");
  }

  async loadDraft() {
    const id = this.conversationId;
    try {
      const drafts = await api("GET", `/conversations/${id}/drafts?status=pending`);
      if (id !== this.conversationId) return;
      const draft = drafts[0] || null;
      if (!this.draft || !draft || draft.id !== this.draft.id || draft.updated_at !== this.draft.updated_at) this.showDraft(draft);
    } catch {
      // The panel is an aid: a failed poll leaves the last state and tries again.
    }
  }

  showDraft(draft) {
    this.draft = draft;
    if (!draft) {
      fill(this.draftBox, h("p", { class: "muted", text: "No draft waiting." }));
      return;
    }
    const ai = draft.ai || {};
    const field = h("textarea", { id: "copilot-draft-text", rows: 5, maxlength: 4000 });
    field.value = draft.content;
    const instruction = h("input", { type: "text", id: "copilot-instruction", maxlength: 500, placeholder: "e.g. offer a discount" });
    const meta = `Intent ${ai.intent || "none"} · confidence ${typeof ai.confidence === "number" ? ai.confidence.toFixed(2) : "?"}${ai.escalate ? " · the assistant would hand over" : ""}`;
    const sources = (ai.sources || []).map((s) => s.title).filter(Boolean);
    const controls = this.can.reply
      ? [
          h(
            "div",
            { class: "copilot-actions" },
            this.button("Approve and send", () => this.decide("approve", { content: field.value })),
            this.button("Save edit", () => this.decide("edit", { content: field.value })),
            this.button("Reject", () => this.decide("reject", { reason: instruction.value })),
          ),
          h("label", { for: "copilot-instruction", text: "Revise with AI" }),
          instruction,
          h(
            "div",
            { class: "copilot-actions" },
            this.button("Revise", () => this.decide("revise", { instruction: instruction.value || "tidy" })),
            QUICK.map((q) => this.button(q, () => this.decide("revise", { instruction: q }))),
          ),
        ]
      : [];
    fill(
      this.draftBox,
      h("label", { for: "copilot-draft-text", text: "The assistant's draft" }),
      field,
      h("p", { class: "copilot-draft-meta", text: meta + (sources.length ? ` · sources: ${sources.join(", ")}` : "") }),
      controls,
    );
  }

  async decide(action, body) {
    if (this.busy || !this.draft) return;
    this.busy = true;
    const base = `/conversations/${this.conversationId}/drafts/${this.draft.id}`;
    try {
      if (action === "edit") {
        this.showDraft(await api("PATCH", base, body));
        this.say("Draft saved.");
      } else if (action === "approve") {
        await api("POST", `${base}/approve`, body);
        this.showDraft(null);
        this.say("Sent.");
      } else if (action === "reject") {
        await api("POST", `${base}/reject`, { reason: body.reason || "" });
        this.showDraft(null);
        this.say("Draft rejected.");
      } else if (action === "revise") {
        this.say("Revising…");
        const result = await api("POST", `${base}/revise`, body);
        this.showDraft(result.draft);
        this.say(result.notes.length ? result.notes.join(" ") : "Revised.");
      }
    } catch (error) {
      this.say(error.message);
      if (error.code === "draft_not_pending") this.loadDraft();
    } finally {
      this.busy = false;
    }
  }

  async requestDraft() {
    try {
      this.say("Drafting…");
      this.showDraft(await api("POST", `/conversations/${this.conversationId}/drafts`));
      this.say("Draft ready.");
    } catch (error) {
      this.say(error.message);
    }
  }

  async aid(kind) {
    const box = this.replyBox();
    const body = kind === "improve" ? { text: (box && box.value.trim()) || "" } : undefined;
    if (kind === "improve" && !body.text) {
      this.say("Write something in the reply box first.");
      return;
    }
    try {
      this.say("Working…");
      const result = await api("POST", `/conversations/${this.conversationId}/assist/${kind}`, body);
      const use = box && kind !== "summary"
        ? this.button("Put in the reply box", () => {
            box.value = result.text;
            box.dispatchEvent(new Event("input", { bubbles: true }));
            box.focus();
          })
        : null;
      const title = { suggest: "Suggested reply", summary: "Summary", improve: "Improved text" }[kind];
      fill(this.output, h("h3", { class: "side-title", text: title }), h("p", { class: "copilot-output", text: result.text }), use);
      this.say(result.notes && result.notes.length ? result.notes.join(" ") : "");
    } catch (error) {
      this.say(error.message);
    }
  }
}

function start() {
  const side = document.getElementById("side");
  const bootEl = document.getElementById("inbox-boot");
  if (!side || !bootEl) return;
  const boot = JSON.parse(bootEl.textContent);
  if (!boot.can) return;
  new Copilot(side, boot.can);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
else start();
