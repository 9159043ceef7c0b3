// Canned responses in the reply box: typing "/ref" lists the shortcuts that start with "ref";
// arrows move, Enter or Tab inserts the text in place of "/ref", Escape closes the list.
import { api, query } from "./inbox-api.js";
import { h } from "./inbox-dom.js";

const TOKEN = /(^|\s)\/([A-Za-z0-9_-]{0,60})$/;

export class CannedPicker {
  constructor(textarea, list) {
    this.textarea = textarea;
    this.list = list;
    this.options = [];
    this.active = -1;
    this.timer = 0;
    this.asked = "";
    this.cache = new Map();
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);
    textarea.setAttribute("aria-expanded", "false");
    textarea.addEventListener("input", () => this.onInput());
    textarea.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  get isOpen() {
    return !this.list.hidden;
  }

  token() {
    const caret = this.textarea.selectionStart;
    if (caret !== this.textarea.selectionEnd) return null;
    const match = TOKEN.exec(this.textarea.value.slice(0, caret));
    if (!match) return null;
    return { prefix: match[2], start: caret - match[2].length - 1, end: caret };
  }

  onInput() {
    const token = this.token();
    if (!token) {
      this.close();
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.lookup(token.prefix), 120);
  }

  async lookup(prefix) {
    this.asked = prefix;
    let rows = this.cache.get(prefix);
    if (!rows) {
      try {
        rows = await api("GET", `/canned-responses${query({ prefix })}`);
      } catch {
        rows = [];
      }
      this.cache.set(prefix, rows);
      setTimeout(() => this.cache.delete(prefix), 30000);
    }
    if (this.asked !== prefix || !this.token()) return;
    this.show(rows.slice(0, 8));
  }

  show(rows) {
    this.options = rows;
    this.active = rows.length ? 0 : -1;
    if (!rows.length) {
      this.list.replaceChildren(h("p", { class: "canned-none", text: "No canned response starts like that." }));
    } else {
      this.list.replaceChildren(
        ...rows.map((row, index) =>
          h(
            "div",
            {
              class: "canned-option",
              id: `canned-option-${index}`,
              role: "option",
              "aria-selected": index === this.active ? "true" : "false",
              onmousedown: (event) => {
                event.preventDefault();
                this.pick(index);
              },
            },
            h("span", { class: "canned-shortcut", text: `/${row.shortcut}` }),
            h("span", { class: "canned-preview", text: row.content }),
          ),
        ),
      );
    }
    this.list.hidden = false;
    this.textarea.setAttribute("aria-expanded", "true");
    this.highlight();
  }

  highlight() {
    this.list.querySelectorAll(".canned-option").forEach((el, index) => {
      el.setAttribute("aria-selected", index === this.active ? "true" : "false");
      if (index === this.active) el.scrollIntoView({ block: "nearest" });
    });
    if (this.active >= 0) this.textarea.setAttribute("aria-activedescendant", `canned-option-${this.active}`);
    else this.textarea.removeAttribute("aria-activedescendant");
  }

  close() {
    clearTimeout(this.timer);
    this.asked = "";
    this.list.hidden = true;
    this.options = [];
    this.active = -1;
    this.textarea.setAttribute("aria-expanded", "false");
    this.textarea.removeAttribute("aria-activedescendant");
  }

  // Returns true when the key was the picker's to handle.
  onKeydown(event) {
    if (!this.isOpen) return false;
    if (event.key === "Escape") {
      this.close();
      return true;
    }
    if (!this.options.length) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.options.length) % this.options.length;
      this.highlight();
      return true;
    }
    if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      this.pick(this.active < 0 ? 0 : this.active);
      return true;
    }
    return false;
  }

  pick(index) {
    const row = this.options[index];
    const token = this.token();
    if (!row || !token) {
      this.close();
      return;
    }
    const value = this.textarea.value;
    this.textarea.value = value.slice(0, token.start) + row.content + value.slice(token.end);
    const caret = token.start + row.content.length;
    this.textarea.setSelectionRange(caret, caret);
    this.close();
    this.textarea.focus();
    this.textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
