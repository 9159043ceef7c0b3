// The conversation list: filters, the mine/unassigned/all counts, unread badges and live refreshes.
import { api, query } from "./inbox-api.js";
import { h, statusBadge, timeElement, toast } from "./inbox-dom.js";

const REFRESH_DELAY = 200;

export class ConversationList {
  constructor(app) {
    this.app = app;
    this.el = document.getElementById("conv-list");
    this.summary = document.getElementById("list-summary");
    this.more = document.getElementById("list-more");
    this.form = document.getElementById("list-filters");
    this.items = [];
    this.total = 0;
    this.pages = 1;
    this.timer = 0;
    this.loading = null;
    this.again = false;
    this.typing = new Map();
    this.inboxNames = new Map(app.boot.inboxes.map((i) => [i.id, i.name]));
    this.wire();
  }

  wire() {
    this.form.querySelector(".filter-apply").hidden = true;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.readForm();
    });
    for (const field of this.form.querySelectorAll("select")) field.addEventListener("change", () => this.readForm());
    let textTimer = 0;
    for (const field of this.form.querySelectorAll("input[type=text], input[type=search]")) {
      field.addEventListener("input", () => {
        clearTimeout(textTimer);
        textTimer = setTimeout(() => this.readForm(), 300);
      });
    }
    for (const tab of document.querySelectorAll(".view-tabs a[data-view]")) {
      tab.addEventListener("click", (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        this.app.setFilters({ view: tab.dataset.view });
      });
    }
    this.more.addEventListener("click", () => {
      this.pages += 1;
      this.refresh();
    });
  }

  readForm() {
    const data = new FormData(this.form);
    this.app.setFilters({
      status: String(data.get("status") || "active"),
      inbox: String(data.get("inbox") || ""),
      label: String(data.get("label") || "").trim().toLowerCase(),
      q: String(data.get("q") || "").trim(),
    });
  }

  filtersChanged() {
    const f = this.app.filters;
    for (const tab of document.querySelectorAll(".view-tabs a[data-view]")) {
      if (tab.dataset.view === f.view) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
      tab.href = `/app/inbox${this.app.filterQuery({ view: tab.dataset.view })}`;
    }
    this.form.querySelector("input[name=view]").value = f.view;
    this.pages = 1;
    this.refresh();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), REFRESH_DELAY);
  }

  apiParams() {
    const f = this.app.filters;
    return {
      assignee: f.view === "mine" ? "me" : f.view,
      status: this.app.boot.statuses[f.status] || [],
      inbox_id: f.inbox,
      label: f.label,
      q: f.q,
      per_page: Math.min(200, this.app.boot.page_size * this.pages),
    };
  }

  async refresh() {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          const [page, counts] = await Promise.all([
            api("GET", `/conversations${query(this.apiParams())}`),
            api("GET", "/conversations/counts"),
          ]);
          this.items = page.items;
          this.total = page.total;
          this.render();
          this.renderCounts(counts);
        } catch (error) {
          toast(`The list could not be loaded: ${error.message}`, { kind: "error" });
        }
      } while (this.again);
    })();
    try {
      await this.loading;
    } finally {
      this.loading = null;
    }
  }

  renderCounts(counts) {
    const wanted = this.app.boot.statuses[this.app.filters.status] || [];
    for (const view of ["mine", "unassigned", "all"]) {
      const numbers = counts[view] || {};
      const sum = Object.entries(numbers)
        .filter(([status]) => !wanted.length || wanted.includes(status))
        .reduce((total, [, n]) => total + n, 0);
      const badge = document.querySelector(`[data-count="${view}"]`);
      if (badge) badge.textContent = String(sum);
    }
  }

  render() {
    const selected = this.app.selected;
    const rows = this.items.map((item) => this.row(item, item.id === selected));
    if (!rows.length) rows.push(h("li", { class: "conv-empty", text: "No conversations match these filters." }));
    this.el.replaceChildren(...rows);
    const shown = this.items.length;
    this.summary.textContent =
      shown < this.total ? `${shown} of ${this.total} conversations` : `${this.total} conversation${this.total === 1 ? "" : "s"}`;
    this.more.hidden = shown >= this.total || shown >= 200;
    this.app.updateTitle();
  }

  preview(item) {
    if (this.typing.has(item.id)) return "Typing…";
    const m = item.last_message;
    if (!m) return "No messages yet";
    if (!m.content) return m.content_type === "text" ? "Message deleted" : `Sent a ${m.content_type}`;
    const who = m.sender_type === "agent" && m.sender_name ? `${m.sender_name}: ` : "";
    return who + m.content;
  }

  row(item, current) {
    const link = h(
      "a",
      {
        class: "conv-link",
        href: `/app/inbox/${item.id}${this.app.filterQuery()}`,
        "aria-current": current ? "true" : null,
        onclick: (event) => {
          if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
          event.preventDefault();
          this.app.open(item.id);
        },
      },
      h("span", { class: "conv-top" }, h("span", { class: "conv-name", text: item.contact_name }), timeElement(item.last_activity_at)),
      h("span", { class: `conv-preview${this.typing.has(item.id) ? " is-typing" : ""}`, text: this.preview(item) }),
      h(
        "span",
        { class: "conv-meta" },
        statusBadge(item.status),
        item.priority !== "none"
          ? h("span", { class: `badge priority priority-${item.priority}`, text: item.priority.charAt(0).toUpperCase() + item.priority.slice(1) })
          : null,
        item.labels.map((label) => h("span", { class: "badge label", text: label })),
        h("span", { class: "conv-inbox", text: this.inboxNames.get(item.inbox_id) || "" }),
        item.assignee_name && this.app.filters.view !== "mine"
          ? h("span", { class: "conv-assignee", text: item.assignee_id === this.app.me.id ? "You" : item.assignee_name })
          : null,
        item.unread_count
          ? h("span", { class: "unread" }, String(item.unread_count), h("span", { class: "visually-hidden", text: " unread" }))
          : null,
      ),
    );
    return h("li", { class: `conv-item${item.unread_count ? " is-unread" : ""}`, "data-id": item.id }, link);
  }

  unread() {
    return this.items.reduce((n, item) => n + (item.unread_count || 0), 0);
  }

  markSelected() {
    for (const link of this.el.querySelectorAll(".conv-link")) {
      const id = link.closest("[data-id]").dataset.id;
      if (id === this.app.selected) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
  }

  markRead(id) {
    const item = this.items.find((i) => i.id === id);
    if (item && item.unread_count) {
      item.unread_count = 0;
      this.render();
    }
  }

  find(id) {
    return this.items.find((i) => i.id === id) || null;
  }

  contactTyping(id) {
    clearTimeout(this.typing.get(id));
    const had = this.typing.has(id);
    this.typing.set(id, setTimeout(() => {
      this.typing.delete(id);
      this.render();
    }, 5000));
    if (!had) this.render();
  }

  // j/k: the next or previous conversation in the list, or the first one if none is open. The
  // rows on screen decide, so this works on the server's first render too.
  move(step) {
    const ids = [...this.el.querySelectorAll(".conv-item[data-id]")].map((row) => row.dataset.id);
    if (!ids.length) return;
    const index = ids.indexOf(this.app.selected);
    const next = index < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, index + step));
    if (next === index) return;
    this.app.open(ids[next]);
    this.el.querySelector(`[data-id="${ids[next]}"]`)?.scrollIntoView({ block: "nearest" });
  }
}
