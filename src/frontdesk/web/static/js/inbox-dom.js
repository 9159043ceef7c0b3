// Building DOM for the inbox. Text always goes in as text nodes or textContent: customers write
// whatever they like, and "<img onerror=…>" must stay those characters.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (typeof value === "boolean" || typeof value === "number") {
      if (key in el) el[key] = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    } else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// replaceChildren() would print a null as the text "null"; optional parts are often null here.
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export const STATUS_LABELS = {
  bot: "Assistant",
  pending: "Waiting",
  open: "Open",
  snoozed: "Snoozed",
  resolved: "Resolved",
};
export const MODE_LABELS = { ai: "AI answers", human: "Human", copilot: "Copilot" };
export const PRIORITIES = ["none", "low", "medium", "high", "urgent"];

export function statusBadge(status) {
  return h("span", { class: `badge conv-status status-${status}`, text: STATUS_LABELS[status] || status });
}

export function modeBadge(mode) {
  return h("span", { class: `badge conv-mode mode-${mode}`, text: MODE_LABELS[mode] || mode });
}

const sameDay = (a, b) => a.toDateString() === b.toDateString();

export function timeElement(iso, { long = false } = {}) {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  const now = new Date();
  const opts = long || !sameDay(date, now)
    ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit" };
  return h("time", {
    datetime: date.toISOString(),
    title: date.toLocaleString(),
    text: new Intl.DateTimeFormat(undefined, opts).format(date),
  });
}

export function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Short-lived messages at the bottom of the screen, read out politely; errors also go to the alert region.
export function toast(text, { kind = "info", action = null } = {}) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = h("div", { class: `toast toast-${kind}` }, h("span", { text }), action);
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  if (kind === "error") {
    const alerts = document.getElementById("alerts");
    if (alerts) alerts.textContent = text;
  }
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

export function isTypingTarget(target) {
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
}

// Only our own paths and http(s) links become hrefs; anything else (javascript:, data:) stays text.
export function safeUrl(value) {
  if (typeof value !== "string") return null;
  if (value.startsWith("/") && !value.startsWith("//")) return value;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}
