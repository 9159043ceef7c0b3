// The live agent inbox. The server rendered a first picture; from here on the page is kept current
// by the realtime socket, and every (re)connect re-reads the list and the open timeline over REST,
// because pub/sub may drop events while the socket is down.
import { h, toast } from "./inbox-dom.js";
import { installShortcuts } from "./inbox-keys.js";
import { ConversationList } from "./inbox-list.js";
import { SidePanel } from "./inbox-panel.js";
import { Presence } from "./inbox-presence.js";
import { LiveSocket } from "./inbox-socket.js";
import { Thread } from "./inbox-thread.js";

const DEFAULTS = { view: "all", status: "active", inbox: "", label: "", q: "" };
const NARROW = window.matchMedia("(max-width: 48rem)");

class InboxApp {
  constructor(boot) {
    this.boot = boot;
    this.me = boot.me;
    this.can = boot.can;
    this.agents = new Map(boot.agents.map((a) => [a.id, a]));
    this.teams = boot.teams;
    this.filters = { ...DEFAULTS, ...boot.filters };
    this.selected = boot.selected;
    this.sideOpen = false;
    this.main = document.getElementById("main");
    this.liveText = document.querySelector("#live-status .live-text");
    this.everReady = false;

    this.list = new ConversationList(this);
    this.panel = new SidePanel(this);
    this.thread = new Thread(this);
    this.presence = new Presence(this);
    this.socket = new LiveSocket({ onEvent: (e) => this.onEvent(e), onState: (s) => this.onSocketState(s) });

    installShortcuts(this);
    window.addEventListener("popstate", () => this.fromLocation());
    this.list.refresh();
    if (this.selected) this.thread.load(this.selected);
    this.socket.connect();
  }

  // "(3) Alice · Inbox · Frontdesk": the unread count first, so it shows in a narrow browser tab.
  updateTitle() {
    const unread = this.list.unread();
    const d = this.thread?.id ? this.thread.detail : null;
    document.title = `${unread ? `(${unread}) ` : ""}${d ? `${d.contact_name} · ` : ""}Inbox · Frontdesk`;
  }

  // ---------------------------------------------------------------- navigation

  filterQuery(changes = {}) {
    const values = { ...this.filters, ...changes };
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(values)) {
      if (value && value !== DEFAULTS[key]) params.set(key, value);
    }
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  url() {
    return `/app/inbox${this.selected ? `/${this.selected}` : ""}${this.filterQuery()}`;
  }

  setFilters(changes) {
    this.filters = { ...this.filters, ...changes };
    history.replaceState(null, "", this.url());
    this.list.filtersChanged();
  }

  open(id, { push = true } = {}) {
    if (!id) return;
    const same = id === this.selected && this.thread.id === id;
    this.selected = id;
    if (push && location.pathname !== `/app/inbox/${id}`) history.pushState(null, "", this.url());
    this.list.markSelected();
    this.showThread();
    if (!same) this.thread.load(id);
  }

  close({ push = true } = {}) {
    this.selected = null;
    if (push) history.pushState(null, "", this.url());
    this.thread.clear();
    this.panel.clear();
    this.toggleSide(false);
    this.list.markSelected();
    this.main.dataset.pane = "list";
    this.updateTitle();
    const first = document.querySelector("#conv-list .conv-link");
    if (NARROW.matches && first) first.focus();
  }

  showThread() {
    this.main.dataset.pane = "thread";
  }

  toggleSide(open = !this.sideOpen) {
    this.sideOpen = open;
    this.main.dataset.side = open ? "open" : "closed";
    for (const b of document.querySelectorAll(".details-toggle")) b.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) document.querySelector("#side .side-close")?.focus();
  }

  fromLocation() {
    const match = /^\/app\/inbox\/([0-9a-f-]{36})$/.exec(location.pathname);
    const params = new URLSearchParams(location.search);
    const filters = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS)) if (params.get(key)) filters[key] = params.get(key);
    const changed = JSON.stringify(filters) !== JSON.stringify(this.filters);
    this.filters = filters;
    if (changed) this.list.filtersChanged();
    if (match) this.open(match[1], { push: false });
    else if (this.selected) this.close({ push: false });
  }

  // ---------------------------------------------------------------- live events

  onSocketState(state) {
    this.main.dataset.connection = state;
    const labels = { live: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…", offline: "Offline" };
    if (this.liveText) this.liveText.textContent = labels[state] || state;
  }

  catchUp() {
    this.list.refresh();
    if (this.thread.id) {
      this.thread.refreshDetail();
      this.thread.catchUp();
    }
  }

  onEvent(event) {
    // Other modules on the page (the notification bell) hear the same socket instead of opening one.
    window.dispatchEvent(new CustomEvent("frontdesk:event", { detail: event }));
    const selected = this.thread.id;
    switch (event.type) {
      case "ready":
        // The first "ready" closes the gap between the server's render and the subscription; later
        // ones follow a reconnect, after which anything may have been missed.
        this.catchUp();
        this.everReady = true;
        break;
      case "overflow":
        this.catchUp();
        break;
      case "message.created":
      case "message.updated":
        this.thread.onMessageEvent(event);
        this.list.schedule();
        break;
      case "conversation.created":
        this.list.schedule();
        break;
      case "conversation.updated":
        this.list.schedule();
        if (event.conversation?.id === selected) this.thread.scheduleDetail();
        break;
      case "conversation.assigned_to_you":
        this.list.schedule();
        if (event.conversation?.id !== selected) {
          const id = event.conversation?.id;
          toast("A conversation was assigned to you.", {
            action: id ? h("button", { type: "button", class: "button button-small", text: "Open it", onclick: () => this.open(id) }) : null,
          });
        } else {
          this.thread.scheduleDetail();
        }
        break;
      case "csat.submitted":
        if (event.conversation_id === selected) this.thread.scheduleDetail();
        break;
      case "contact.typing":
        if (event.conversation_id === selected) this.thread.contactTyping();
        this.list.contactTyping(event.conversation_id);
        break;
      case "agent.typing":
        if (event.conversation_id === selected && event.user_id !== this.me.id) {
          this.thread.colleagueTyping(this.agents.get(event.user_id)?.name || event.name);
        }
        break;
      case "agent.presence": {
        const agent = this.agents.get(event.user_id);
        if (agent) Object.assign(agent, { status: event.status, availability: event.availability });
        this.presence.onEvent(event);
        break;
      }
      default:
        break;
    }
  }
}

function start() {
  const bootEl = document.getElementById("inbox-boot");
  if (!bootEl) return;
  new InboxApp(JSON.parse(bootEl.textContent));
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true });
} else {
  start();
}
