/*
 * Frontdesk website widget, one dependency-free script:
 *   <script src="https://frontdesk.example.com/widget.js" data-inbox="PUBLIC_TOKEN" async></script>
 * It renders in a Shadow DOM (the page's CSS cannot break it, ours cannot leak). Text people wrote is
 * only ever set with textContent: "<img onerror=...>" shows as those characters. The socket may drop
 * events, so the REST listing with after=<cursor> is the truth and every (re)connect catches up.
 */
(() => {
  "use strict";
  const previous = window.Frontdesk;
  if (previous?.__frontdesk) return;
  const script = document.currentScript || document.querySelector("script[data-inbox][src*='widget.js']");
  if (!script || !script.dataset.inbox) {
    console.warn("Frontdesk: the widget script needs a data-inbox attribute.");
    return;
  }
  const TOKEN = script.dataset.inbox;
  const BASE = new URL(script.src, location.href).origin;
  const API = `${BASE}/api/v1/widget/${encodeURIComponent(TOKEN)}`;
  const WS_URL = `${BASE.replace(/^http/, "ws")}/api/v1/widget/${encodeURIComponent(TOKEN)}/ws`;
  const STORE = `frontdesk:${TOKEN}`;
  const PAGE = 100;
  const TYPING_EVERY = 3000;
  const TYPING_SHOWN = 6000;

  // Without localStorage (blocked storage) the token stays in memory, for this page only.
  const store = {
    get(k) { try { return localStorage.getItem(k); } catch { return null; } },
    set(k, v) { try { localStorage.setItem(k, v); } catch { /* memory only */ } },
    remove(k) { try { localStorage.removeItem(k); } catch { /* memory only */ } },
  };

  const state = {
    token: store.get(STORE), user: null, session: null, conversation: null, cursor: null, byId: new Map(),
    pending: new Map(), readAt: 0, open: false, ws: null, backoff: 0, retryTimer: 0, heartbeat: 0,
    lastFrame: 0, catching: false, catchAgain: false, unread: 0, lastTypingSent: 0,
    typingTimer: 0, readTimer: 0, chain: Promise.resolve(), listeners: {}, ready: false,
  };

  // --- DOM helpers

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key in el && typeof value !== "string") el[key] = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function svg(path) {
    const ns = "http://www.w3.org/2000/svg";
    const s = document.createElementNS(ns, "svg");
    const p = document.createElementNS(ns, "path");
    for (const [k, v] of [["viewBox", "0 0 24 24"], ["aria-hidden", "true"], ["focusable", "false"]]) s.setAttribute(k, v);
    p.setAttribute("d", path);
    s.append(p);
    return s;
  }

  // --- styles

  const CSS = `
:host {all:initial}
* {box-sizing:border-box}
[hidden] {display:none !important}
.root {--fd-accent:#2563eb;--fd-on-accent:#fff;font:15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;color:#111827;position:fixed;bottom:20px;right:20px;z-index:2147483000}
.root.left {right:auto;left:20px}
button {font:inherit;cursor:pointer}
:focus-visible {outline:3px solid var(--fd-accent);outline-offset:2px}
.launcher {width:60px;height:60px;border-radius:50%;border:0;background:var(--fd-accent);color:var(--fd-on-accent);box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center;position:relative}
.launcher svg {width:28px;height:28px;fill:none;stroke:currentColor;stroke-width:2;stroke-linejoin:round}
.badge {position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;display:grid;place-items:center}
.panel {position:absolute;bottom:76px;right:0;width:370px;height:min(620px, calc(100vh - 110px));background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;animation:fd-in .16s ease-out}
@keyframes fd-in {from {opacity:0;transform:translateY(8px)}}
.left .panel {right:auto;left:0}
header {background:var(--fd-accent);color:var(--fd-on-accent);padding:14px 16px;display:flex;align-items:flex-start;gap:8px}
header .titles {flex:1;min-width:0}
header h2 {margin:0;font-size:17px;font-weight:650;overflow-wrap:anywhere}
header p {margin:2px 0 0;font-size:13px;opacity:.92;display:flex;align-items:center;gap:6px}
.dot {width:8px;height:8px;border-radius:50%;background:#9ca3af;flex:none}
.dot.on {background:#22c55e;box-shadow:0 0 0 2px rgba(255,255,255,.7)}
.close {background:transparent;border:0;color:inherit;width:36px;height:36px;border-radius:8px;display:grid;place-items:center}
.close svg, .icon svg {width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round}
.banner {background:#fef3c7;color:#78350f;padding:8px 16px;font-size:13px}
.conn {background:#f3f4f6;color:#374151;padding:4px 16px;font-size:12px;text-align:center}
.log {flex:1;overflow-y:auto;padding:14px 12px;display:flex;flex-direction:column;gap:6px;background:#f9fafb;overscroll-behavior:contain}
.row {display:flex;flex-direction:column;align-items:flex-start;max-width:100%}
.row.mine {align-items:flex-end}
.row.system {align-items:center}
.who {font-size:12px;color:#6b7280;margin:6px 4px 2px}
.bubble {max-width:85%;padding:8px 12px;border-radius:14px;background:#fff;border:1px solid #e5e7eb;white-space:pre-wrap;overflow-wrap:anywhere}
.mine .bubble {background:var(--fd-accent);color:var(--fd-on-accent);border-color:transparent;border-bottom-right-radius:4px}
.theirs .bubble {border-bottom-left-radius:4px}
.bubble .sources {display:block;margin-top:4px;font-size:12px;opacity:.75}
.system .bubble {background:transparent;border:0;color:#4b5563;font-size:13px;text-align:center;padding:4px 8px}
.bubble a {color:inherit}
.bubble img {display:block;max-width:100%;max-height:220px;border-radius:8px;margin:2px 0}
.meta {font-size:11px;color:#6b7280;margin:2px 4px 0;display:flex;gap:6px;align-items:center}
.meta button {border:0;background:none;color:#b91c1c;text-decoration:underline;padding:0;font-size:11px}
.failed .bubble {opacity:.75}
.choices {display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.choices button {border:1px solid var(--fd-accent);color:var(--fd-accent);background:#fff;border-radius:16px;padding:6px 12px}
.choices button:disabled {opacity:.5;cursor:default}
.typing {font-size:12px;color:#6b7280;padding:0 16px 4px;min-height:18px;background:#f9fafb}
.notice {font-size:13px;color:#b91c1c;padding:6px 16px}
.notice:empty {display:none}
form {margin:0}
.composer {display:flex;gap:6px;align-items:flex-end;padding:10px;border-top:1px solid #e5e7eb;background:#fff}
textarea, input {font:inherit;color:inherit;border:1px solid #d1d5db;border-radius:10px;padding:8px 10px;width:100%;background:#fff}
textarea {resize:none;max-height:120px;min-height:40px}
.icon {width:40px;height:40px;flex:none;border-radius:10px;border:0;display:grid;place-items:center;background:#f3f4f6;color:#374151}
.icon.send {background:var(--fd-accent);color:var(--fd-on-accent)}
.icon.send svg {fill:currentColor;stroke:none}
.prechat, .csat {padding:14px 16px;border-top:1px solid #e5e7eb;background:#fff;display:grid;gap:8px}
.prechat h3, .csat h3 {margin:0;font-size:15px}
label {font-size:13px;color:#374151;display:grid;gap:4px}
.primary {background:var(--fd-accent);color:var(--fd-on-accent);border:0;border-radius:10px;padding:9px 14px;font-weight:600}
.stars {display:flex;gap:4px}
.stars button {width:44px;height:44px;border-radius:10px;border:1px solid #d1d5db;background:#fff;font-size:20px;color:#9ca3af}
.stars button.lit {color:#f59e0b;border-color:#f59e0b}
.sr {position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width: 480px) {
  .root.opened {inset:0}
  .root.opened .launcher {display:none}
  .panel {position:fixed;inset:0;width:100%;height:100%;border-radius:0}
}
@media (prefers-reduced-motion: reduce) {.panel {animation:none}}
`;

  // --- building the UI

  const host = h("div", { id: "frontdesk-widget" });
  const shadow = host.attachShadow({ mode: "open" });
  if (shadow.adoptedStyleSheets && "replaceSync" in CSSStyleSheet.prototype) {
    // Constructed sheets are not inline styles, so host pages' strict CSPs allow them.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(h("style", { nonce: script.nonce || undefined, text: CSS }));
  }

  const ui = {};
  ui.badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  ui.launcher = h("button", { class: "launcher", type: "button", "aria-label": "Open chat", "aria-expanded": "false",
    "aria-controls": "fd-panel", onclick: () => (state.open ? close() : open()) }, svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"), ui.badge);
  ui.title = h("h2", { id: "fd-title", text: "Chat" });
  ui.dot = h("span", { class: "dot" });
  ui.presence = h("span");
  ui.banner = h("div", { class: "banner", hidden: true, role: "note" });
  ui.conn = h("div", { class: "conn", hidden: true, role: "status", text: "Reconnecting…" });
  ui.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" });
  ui.typing = h("div", { class: "typing", "aria-live": "polite" });
  ui.notice = h("div", { class: "notice", role: "alert" });
  ui.text = h("textarea", { id: "fd-text", rows: 1, placeholder: "Write a message…", "aria-label": "Message", maxlength: 4000,
    oninput: onInput, onkeydown: onComposerKey });
  ui.file = h("input", { type: "file", class: "sr", tabindex: "-1", "aria-hidden": "true", onchange: onFile });
  ui.attach = h("button", { class: "icon", type: "button", "aria-label": "Attach a file", onclick: () => ui.file.click() }, svg("M16 6v10a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10a1 1 0 0 1-2 0V6"));
  ui.send = h("button", { class: "icon send", type: "submit", "aria-label": "Send" }, svg("M3 20l18-8L3 4v6l12 2-12 2z"));
  ui.composer = h("form", { class: "composer", onsubmit: onSubmit }, ui.attach, ui.file, ui.text, ui.send);
  ui.prechat = h("form", { class: "prechat", hidden: true, onsubmit: onPrechat, "aria-labelledby": "fd-prechat-title" });
  ui.csat = h("form", { class: "csat", hidden: true, onsubmit: onCsat, "aria-labelledby": "fd-csat-title" });
  ui.panel = h("section", { class: "panel", id: "fd-panel", role: "dialog", "aria-labelledby": "fd-title", hidden: true },
    h("header", {},
      h("div", { class: "titles" }, ui.title, h("p", {}, ui.dot, ui.presence)),
      h("button", { class: "close", type: "button", "aria-label": "Close chat", onclick: close }, svg("M6 6l12 12M18 6L6 18"))),
    ui.banner, ui.conn, ui.log, ui.typing, ui.notice, ui.prechat, ui.csat, ui.composer);
  ui.root = h("div", { class: "root" }, ui.panel, ui.launcher);
  shadow.append(ui.root);
  shadow.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.open) {
      event.stopPropagation();
      close();
    }
  });

  function mount() {
    if (!host.isConnected) document.body.append(host);
  }

  // --- API calls

  async function call(method, path, body, isForm) {
    const headers = {};
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    let payload;
    if (isForm) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(API + path, { method, headers, body: payload, credentials: "omit" });
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    if (!res.ok) {
      const error = new Error(data?.message || `The chat server answered ${res.status}.`);
      error.status = res.status;
      error.code = data?.code;
      error.retryAfter = Number(res.headers.get("Retry-After")) || data?.details?.retry_after || 0;
      throw error;
    }
    return data;
  }

  function serial(fn) {
    const next = state.chain.then(fn, fn);
    state.chain = next.catch(() => {});
    return next;
  }

  // --- session

  function startSession() {
    return serial(async () => {
      const body = { visitor_token: state.token || undefined };
      if (state.user) body.user = state.user;
      let session;
      try {
        session = await call("POST", "/session", body);
      } catch (error) {
        // Not for this site, or for signed-in users only: show nothing until setUser proves who this is.
        if (/^(identity|origin)_/.test(error.code || "")) {
          host.style.display = "none";
          console.warn("Frontdesk:", error.message);
        } else showNotice(explain(error));
        throw error;
      }
      host.style.display = "";
      showNotice("");
      applySession(session);
      return session;
    });
  }

  function applySession(session) {
    const changedVisitor = !state.session || state.session.visitor.id !== session.visitor.id;
    state.session = session;
    state.token = session.visitor_token;
    store.set(STORE, session.visitor_token);
    applyAppearance(session.inbox);
    if (changedVisitor) {
      clearLog();
      state.cursor = null;
    }
    for (const message of session.messages) addMessage(message, false);
    if (session.cursor) state.cursor = session.cursor;
    if (!session.messages.length && !state.byId.size) showGreeting(session.inbox.greeting);
    setPresence(session.agents_online);
    setHours(session.open_now, session.out_of_office_message);
    applyConversation(session.conversation);
    renderPrechat();
    reconnect(true);
    if (!state.ready) {
      state.ready = true;
      emit("ready", readyDetail());
    }
  }

  function readyDetail() {
    return { visitor: { ...state.session.visitor }, conversation: state.session.conversation };
  }

  function applyAppearance(inbox) {
    ui.title.textContent = inbox.name || "Chat";
    const color = /^#[0-9a-f]{6}$/i.test(inbox.color) ? inbox.color : "#2563eb";
    ui.root.style.setProperty("--fd-accent", color);
    ui.root.style.setProperty("--fd-on-accent", contrast(color));
    ui.root.classList.toggle("left", inbox.position === "left");
  }

  function contrast(hex) {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? "#111827" : "#ffffff";
  }

  function setPresence(online) {
    if (typeof online !== "boolean") return;
    ui.dot.classList.toggle("on", online);
    ui.presence.textContent = online ? "A person is online" : "We'll reply here as soon as we can";
  }

  function setHours(openNow, away) {
    ui.banner.hidden = openNow;
    ui.banner.textContent = openNow ? "" : away || "We're away right now. Leave a message and we'll reply here when we're back.";
  }

  function applyConversation(conversation) {
    if (!conversation) return;
    const switched = Boolean(state.conversation) && state.conversation.id !== conversation.id;
    state.conversation = { ...(switched ? {} : state.conversation), ...conversation };
    if (conversation.agent_read_at) markSeen(conversation.agent_read_at);
    if (conversation.csat_requested && state.session?.csat_enabled) showCsat();
    else if (switched || conversation.status !== "resolved") hideCsat();
  }

  // --- messages

  function clearLog() {
    ui.log.replaceChildren();
    state.byId.clear();
    state.pending.clear();
    state.readAt = 0;
  }

  function showGreeting(text) {
    if (!text || ui.log.querySelector(".greeting")) return;
    ui.log.append(h("div", { class: "row theirs greeting" }, h("div", { class: "bubble", text })));
  }

  function isMine(message) {
    return message.direction === "in";
  }

  function absolute(url) {
    try {
      const parsed = new URL(url, BASE);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch { return null; }
  }

  function linkified(text) {
    // Links are made from text nodes and checked hrefs: nothing the sender wrote becomes markup.
    const out = [];
    const re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
    let last = 0;
    for (const match of text.matchAll(re)) {
      out.push(text.slice(last, match.index));
      out.push(h("a", { href: match[0], target: "_blank", rel: "noopener noreferrer nofollow", text: match[0] }));
      last = match.index + match[0].length;
    }
    out.push(text.slice(last));
    return out;
  }

  function sizeText(bytes) {
    return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
  }

  function timeText(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function renderBody(message) {
    const bubble = h("div", { class: "bubble" });
    if (message.deleted) return h("div", { class: "bubble" }, h("em", { text: "This message was deleted." }));
    for (const file of message.attachments || []) {
      const url = absolute(file.url || "");
      if (!url) continue;
      const image = /^image\//.test(file.content_type);
      bubble.append(h("a", { href: url, target: "_blank", rel: "noopener noreferrer", download: !image && (file.name || "file"),
        text: !image && `${file.name} (${sizeText(file.size || 0)})` }, image && h("img", { src: url, alt: file.name || "Image" })));
    }
    if (message.content) bubble.append(...linkified(message.content));
    const sources = Array.isArray(message.payload?.sources) ? message.payload.sources : [];
    const titles = sources.map((src) => src && typeof src.title === "string" ? src.title : "").filter(Boolean);
    if (titles.length) bubble.append(h("div", { class: "sources", text: `Source: ${titles.join(", ")}` }));
    return bubble;
  }

  // The assistant's words as it writes them; the stored message replaces the row when it arrives.
  const streams = new Map();

  function streamDelta(e) {
    if (!e.stream_id || typeof e.delta !== "string") return;
    if (state.conversation?.id && e.conversation_id !== state.conversation.id) return;
    let entry = streams.get(e.stream_id);
    if (!entry) {
      const text = h("span", { text: "" });
      const row = h("div", { class: "row theirs streaming" }, h("div", { class: "who", text: e.sender_name || "Assistant" }),
        h("div", { class: "bubble" }, text));
      row.dataset.created = new Date().toISOString();
      ui.log.querySelector(".greeting")?.remove();
      ui.log.append(row);
      entry = { row, text };
      streams.set(e.stream_id, entry);
    }
    entry.text.textContent += e.delta;
    scrollDown(false);
  }

  function renderChoices(message) {
    const choices = message.content_type === "choices" ? message.payload?.choices : null;
    if (!Array.isArray(choices) || !choices.length) return null;
    const box = h("div", { class: "choices", role: "group", "aria-label": "Choose an answer" });
    for (const choice of choices) {
      if (!choice || typeof choice.label !== "string") continue;
      box.append(h("button", { type: "button", text: choice.label, onclick: () => {
        for (const b of box.querySelectorAll("button")) b.disabled = true;
        send(choice.label, String(choice.id));
      } }));
    }
    return box;
  }

  const STATUS = { sending: "Sending…", failed: "Not sent", seen: "Seen", sent: "Sent" };

  function renderMeta(row, message) {
    const at = message.created_at;
    const meta = h("div", { class: "meta" }, h("time", { datetime: at || "", text: at ? timeText(at) : "" }));
    if (row.classList.contains("mine")) {
      meta.append(h("span", { class: "status", text: STATUS[row.dataset.status] || "Sent" }));
      if (row.dataset.status === "failed" && row.dataset.clientId) {
        const clientId = row.dataset.clientId;
        meta.append(h("button", { type: "button", text: "Retry", onclick: () => deliver(clientId) }));
      }
    }
    const old = row.querySelector(".meta");
    if (old) old.replaceWith(meta);
    else row.append(meta);
  }

  function buildRow(message) {
    const kind = message.sender_type === "system" ? "system" : isMine(message) ? "mine" : "theirs";
    const row = h("div", { class: `row ${kind}` });
    row.dataset.created = message.created_at || "";
    if (message.id) row.dataset.id = message.id;
    if (kind === "theirs") {
      const prev = ui.log.lastElementChild;
      const who = message.sender_name || (message.sender_type === "bot" ? "Assistant" : "Support");
      if (!prev || prev.dataset.who !== who) row.append(h("div", { class: "who", text: who }));
      row.dataset.who = who;
    }
    row.append(renderBody(message));
    const choices = renderChoices(message);
    if (choices) row.append(choices);
    if (kind === "mine") row.dataset.status = state.readAt && Date.parse(message.created_at) <= state.readAt ? "seen" : "sent";
    if (kind !== "system") renderMeta(row, message);
    return row;
  }

  function place(row) {
    // Events and catch-up pages can interleave; keep the log in time order.
    let before = null;
    const created = row.dataset.created;
    if (created) {
      for (let el = ui.log.lastElementChild; el; el = el.previousElementSibling) {
        if (!el.dataset.created || el.dataset.created <= created) break;
        before = el;
      }
    }
    ui.log.insertBefore(row, before);
  }

  function scrollDown(force) {
    const l = ui.log;
    if (force || l.scrollHeight - l.scrollTop - l.clientHeight < 120) l.scrollTop = l.scrollHeight;
  }

  function addMessage(message, live) {
    if (!message || !message.id || message.private) return;
    const streamed = message.payload?.stream_id && streams.get(message.payload.stream_id);
    if (streamed) {
      streamed.row.remove();
      streams.delete(message.payload.stream_id);
    }
    if (state.byId.has(message.id)) {
      if (message.edited_at || message.deleted) updateMessage(message);
      return;
    }
    if (isMine(message) && message.sender_type === "contact") {
      // The socket's echo of a message this page is still sending.
      for (const [clientId, p] of state.pending) {
        if (p.content === message.content && !p.upload) {
          bindPending(clientId, message);
          return;
        }
      }
    }
    ui.log.querySelector(".greeting")?.remove();
    const row = buildRow(message);
    state.byId.set(message.id, row);
    place(row);
    if (message.content_type === "text" && isMine(message)) disableOldChoices();
    scrollDown(isMine(message));
    if (live && !isMine(message)) {
      if (!state.open || document.hidden) {
        state.unread += 1;
        renderBadge();
      } else scheduleRead();
      ui.typing.textContent = "";
    }
    if (live) emit("message", { ...message });
  }

  function updateMessage(message) {
    // An edit or a deletion changes the text only; who sent it, when, and its state stay.
    state.byId.get(message?.id)?.querySelector(".bubble")?.replaceWith(renderBody(message));
  }

  function disableOldChoices() {
    for (const b of ui.log.querySelectorAll(".choices button")) b.disabled = true;
  }

  function markSeen(iso) {
    const at = Date.parse(iso);
    if (!at || at <= state.readAt) return;
    state.readAt = at;
    for (const row of ui.log.querySelectorAll(".row.mine[data-id]")) {
      if (row.dataset.status === "sent" && Date.parse(row.dataset.created) <= at) {
        row.dataset.status = "seen";
        const status = row.querySelector(".status");
        if (status) status.textContent = "Seen";
      }
    }
  }

  // --- sending

  function newClientId() {
    // Only has to be unique within the conversation: a retry reuses it, so the server stores it once.
    return `w-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  }

  function pendingRow(content, clientId, label) {
    const row = h("div", { class: "row mine" }, h("div", { class: "bubble", text: label || content }));
    row.dataset.status = "sending";
    row.dataset.clientId = clientId;
    renderMeta(row, { created_at: null });
    ui.log.querySelector(".greeting")?.remove();
    ui.log.append(row);
    scrollDown(true);
    return row;
  }

  async function send(content, choiceId) {
    const text = content.trim();
    if (!text) return;
    if (!state.session) await startSession();
    const clientId = newClientId();
    state.pending.set(clientId, { content: text, choiceId, row: pendingRow(text, clientId) });
    disableOldChoices();
    await deliver(clientId);
  }

  async function deliver(clientId) {
    const p = state.pending.get(clientId);
    if (!p) return;
    p.row.dataset.status = "sending";
    p.row.classList.remove("failed");
    renderMeta(p.row, { created_at: null });
    try {
      const body = { content: p.content, client_id: clientId };
      if (p.choiceId) body.choice_id = p.choiceId;
      const sent = await call("POST", "/messages", body);
      bindPending(clientId, sent.message);
      applyConversation(sent.conversation);
      showNotice("");
    } catch (error) {
      if (!state.pending.has(clientId)) return;
      p.row.dataset.status = "failed";
      p.row.classList.add("failed");
      renderMeta(p.row, { created_at: null });
      showNotice(explain(error));
      if (error.code === "prechat_required" && state.session) {
        state.session.prechat.completed = false;
        renderPrechat();
      }
    }
  }

  function bindPending(clientId, message) {
    const p = state.pending.get(clientId);
    if (!p) return addMessage(message, true);
    state.pending.delete(clientId);
    if (state.byId.has(message.id)) {
      p.row.remove();
      return;
    }
    const row = buildRow(message);
    state.byId.set(message.id, row);
    p.row.remove();
    place(row);
    emit("message", { ...message });
  }

  function explain(error) {
    if (error.status === 429) return `You're sending too fast.${error.retryAfter ? ` Try again in ${error.retryAfter} s.` : ""}`;
    return error.status ? error.message : "You seem to be offline. We'll keep trying.";
  }

  function showNotice(text) {
    ui.notice.textContent = text || "";
  }

  function onSubmit(event) {
    event.preventDefault();
    const value = ui.text.value;
    if (!value.trim()) return;
    ui.text.value = "";
    autosize();
    send(value);
  }

  function onComposerKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit ? ui.composer.requestSubmit() : onSubmit(event);
    }
  }

  function autosize() {
    ui.text.style.height = "auto";
    ui.text.style.height = `${Math.min(ui.text.scrollHeight, 120)}px`;
  }

  function onInput() {
    autosize();
    const now = Date.now();
    if (now - state.lastTypingSent > TYPING_EVERY && state.ws?.readyState === 1 && state.conversation) {
      state.lastTypingSent = now;
      state.ws.send(JSON.stringify({ type: "typing" }));
    }
  }

  async function onFile() {
    const file = ui.file.files?.[0];
    ui.file.value = "";
    if (!file || !state.session) return;
    const limits = state.session.limits;
    if (file.type && !limits.attachment_types.includes(file.type)) {
      showNotice("This kind of file cannot be sent. Send an image, a PDF, or a text or CSV file.");
      return;
    }
    if (file.size > limits.max_attachment_bytes) {
      showNotice(`The file is too large: the limit is ${sizeText(limits.max_attachment_bytes)}.`);
      return;
    }
    const clientId = newClientId();
    const row = pendingRow(file.name, clientId, `Sending ${file.name}…`);
    state.pending.set(clientId, { content: file.name, upload: true, row });
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("client_id", clientId);
    try {
      const sent = await call("POST", "/attachments", form, true);
      state.pending.delete(clientId);
      row.remove();
      addMessage(sent.message, true);
      applyConversation(sent.conversation);
      showNotice("");
    } catch (error) {
      state.pending.delete(clientId);
      row.remove();
      showNotice(explain(error));
    }
  }

  // --- pre-chat form

  // Label, input type and autocomplete token of each pre-chat field.
  const FIELD = { name: ["Your name", "text", "name"], email: ["Email", "email", "email"], phone: ["Phone", "tel", "tel"] };

  function renderPrechat() {
    const prechat = state.session?.prechat;
    const needed = Boolean(prechat?.required && !prechat.completed);
    ui.prechat.hidden = !needed;
    ui.composer.hidden = needed;
    if (!needed) return;
    const user = state.session.visitor;
    ui.prechat.replaceChildren(
      h("h3", { id: "fd-prechat-title", text: "Before we start, tell us who you are" }),
      ...prechat.fields.filter((f) => FIELD[f]).map((f) => h("label", {}, FIELD[f][0], h("input", {
        name: f, type: FIELD[f][1], autocomplete: FIELD[f][2], required: true, value: { name: user.name, email: user.email }[f] || "" }))),
      h("button", { class: "primary", type: "submit", text: "Start chat" }),
    );
  }

  async function onPrechat(event) {
    event.preventDefault();
    const data = {};
    for (const input of ui.prechat.querySelectorAll("input")) if (input.value.trim()) data[input.name] = input.value.trim();
    try {
      const result = await call("POST", "/prechat", data);
      state.session.prechat = result;
      renderPrechat();
      showNotice("");
      if (!ui.composer.hidden) ui.text.focus();
    } catch (error) {
      showNotice(explain(error));
    }
  }

  // --- rating

  function showCsat() {
    if (!ui.csat.hidden || state.conversation?.rated) return;
    let chosen = 0;
    const stars = h("div", { class: "stars", role: "radiogroup", "aria-label": "Rating from 1 to 5" });
    const paint = () => {
      for (const b of stars.children) {
        const n = Number(b.dataset.value);
        b.setAttribute("aria-checked", String(n === chosen));
        b.classList.toggle("lit", n <= chosen);
        b.tabIndex = n === (chosen || 1) ? 0 : -1;
      }
    };
    for (let n = 1; n <= 5; n += 1) {
      const b = h("button", { type: "button", role: "radio", "aria-label": `${n} out of 5`, text: "★",
        onclick: () => { chosen = n; paint(); } });
      b.dataset.value = String(n);
      stars.append(b);
    }
    stars.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      chosen = Math.min(5, Math.max(1, (chosen || 1) + (chosen ? step : 0)));
      paint();
      stars.children[chosen - 1].focus();
    });
    paint();
    ui.csat.replaceChildren(
      h("h3", { id: "fd-csat-title", text: "How did we do?" }),
      stars,
      h("label", {}, "Anything to add? (optional)", h("textarea", { name: "comment", rows: 2, maxlength: 1000 })),
      h("button", { class: "primary", type: "submit", text: "Send rating" }),
    );
    ui.csat.getRating = () => chosen;
    ui.csat.hidden = false;
    scrollDown(true);
  }

  function hideCsat() {
    ui.csat.hidden = true;
    ui.csat.replaceChildren();
  }

  async function onCsat(event) {
    event.preventDefault();
    const rating = ui.csat.getRating ? ui.csat.getRating() : 0;
    if (!rating) {
      showNotice("Choose a rating from 1 to 5 first.");
      return;
    }
    const comment = ui.csat.querySelector("textarea")?.value || "";
    try {
      await call("POST", "/csat", { rating, comment });
      thank();
    } catch (error) {
      if (error.code === "already_rated") thank();
      else showNotice(explain(error));
    }
  }

  function thank() {
    if (state.conversation) state.conversation.rated = true;
    const text = h("p", { role: "status", text: "Thank you for your feedback!" });
    const hadFocus = ui.csat.contains(shadow.activeElement);
    ui.csat.replaceChildren(text);
    showNotice("");
    // The focused button is gone; keep focus in the chat so keyboard users are not dropped to the page.
    if (hadFocus) ui.text.focus();
    setTimeout(hideCsat, 4000);
  }

  // --- the socket

  function reconnect(now) {
    if (state.ws) {
      const old = state.ws;
      state.ws = null;
      old.close(1000);
    }
    clearTimeout(state.retryTimer);
    state.retryTimer = 0;
    if (now) connect();
    else scheduleReconnect();
  }

  function scheduleReconnect() {
    if (state.retryTimer) return;
    // Exponential backoff with jitter, so a restarted server is not hit by every widget at once.
    const delay = Math.min(30000, 1000 * 2 ** state.backoff) * (0.5 + Math.random() / 2);
    state.backoff = Math.min(state.backoff + 1, 5);
    state.retryTimer = setTimeout(() => {
      state.retryTimer = 0;
      connect();
    }, delay);
  }

  function connect() {
    if (!state.token || state.ws) return;
    let ws;
    try { ws = new WebSocket(WS_URL); } catch { scheduleReconnect(); return; }
    state.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "auth", visitor_token: state.token }));
    };
    ws.onmessage = (event) => {
      state.lastFrame = Date.now();
      let data;
      try { data = JSON.parse(event.data); } catch { return; }
      if (state.ws === ws) onEvent(data);
    };
    ws.onclose = (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      clearInterval(state.heartbeat);
      ui.conn.hidden = false;
      host.dataset.connection = "offline";
      if (event.code === 4401) {
        // The visitor token is no longer accepted (rotated key, inbox changed): start over.
        startSession().catch(() => scheduleReconnect());
        return;
      }
      if (event.code === 4403 || event.code === 4404) return;
      scheduleReconnect();
    };
  }

  const HANDLERS = {
    ready(e) {
      state.backoff = 0;
      ui.conn.hidden = true;
      host.dataset.connection = "live";
      setPresence(e.agents_online);
      startHeartbeat();
      catchUp();
      // What failed while the network was down goes again; its client_id keeps it from doubling.
      for (const [id, p] of state.pending) if (!p.upload && p.row.dataset.status === "failed") deliver(id);
    },
    "message.created": (e) => addMessage(e.message, true),
    "message.delta": (e) => streamDelta(e),
    "message.updated": (e) => updateMessage(e.message),
    "conversation.updated": (e) => e.conversation && applyConversation({ ...e.conversation, csat_requested: false }),
    "csat.requested"(e) {
      if (state.conversation?.id === e.conversation_id) state.conversation.status = "resolved";
      if (state.session?.csat_enabled) showCsat();
    },
    "conversation.started"() {
      hideCsat();
      catchUp();
    },
    resubscribed: () => catchUp(),
    overflow: () => catchUp(),
    "agent.typing": (e) => showTyping(e.name),
    "conversation.read": (e) => e.read_at && markSeen(e.read_at),
    presence: (e) => setPresence(e.agents_online),
    error: (e) => e.code === "rate_limited" && e.client_id && showNotice(explain({ status: 429 })),
  };

  function onEvent(event) {
    if (Object.prototype.hasOwnProperty.call(HANDLERS, event.type)) HANDLERS[event.type](event);
  }

  function startHeartbeat() {
    clearInterval(state.heartbeat);
    state.lastFrame = Date.now();
    state.heartbeat = setInterval(() => {
      const ws = state.ws;
      if (!ws || ws.readyState !== 1) return;
      // A socket that has heard nothing for a minute is dead without knowing it (a changed network).
      if (Date.now() - state.lastFrame > 60000) ws.close(4000);
      else ws.send(JSON.stringify({ type: "ping" }));
    }, 25000);
  }

  function showTyping(name) {
    ui.typing.textContent = `${typeof name === "string" && name ? name : "Someone"} is typing…`;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => { ui.typing.textContent = ""; }, TYPING_SHOWN);
  }

  async function catchUp() {
    if (!state.token) return;
    if (state.catching) {
      state.catchAgain = true;
      return;
    }
    state.catching = true;
    try {
      do {
        state.catchAgain = false;
        for (;;) {
          const after = state.cursor ? `&after=${encodeURIComponent(state.cursor)}` : "";
          const page = await call("GET", `/messages?limit=${PAGE}${after}`);
          for (const message of page.items) addMessage(message, true);
          if (page.next_cursor) state.cursor = page.next_cursor;
          applyConversation(page.conversation);
          setPresence(page.agents_online);
          if (page.items.length < PAGE) break;
        }
      } while (state.catchAgain);
    } catch (error) {
      if (error.status === 401) startSession().catch(() => {});
    } finally {
      state.catching = false;
    }
  }

  function scheduleRead() {
    clearTimeout(state.readTimer);
    state.readTimer = setTimeout(() => {
      if (state.open && !document.hidden && state.token && state.conversation) call("POST", "/read").catch(() => {});
    }, 400);
  }

  // --- open and close

  function renderBadge() {
    ui.badge.hidden = state.unread === 0;
    ui.badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    ui.launcher.setAttribute("aria-label", state.unread ? `Open chat, ${state.unread} unread` : "Open chat");
  }

  function open() {
    mount();
    if (state.open) return;
    state.open = true;
    ui.panel.hidden = false;
    ui.root.classList.add("opened");
    ui.launcher.setAttribute("aria-expanded", "true");
    state.unread = 0;
    renderBadge();
    scrollDown(true);
    const first = ui.prechat.hidden ? ui.text : ui.prechat.querySelector("input");
    (first || ui.text).focus();
    scheduleRead();
    emit("open", {});
  }

  function close() {
    if (!state.open) return;
    state.open = false;
    ui.panel.hidden = true;
    ui.root.classList.remove("opened");
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
    emit("close", {});
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.open) scheduleRead();
  });
  window.addEventListener("online", () => {
    state.backoff = 0;
    reconnect(true);
  });
  window.addEventListener("offline", () => { ui.conn.hidden = false; });

  // --- the public API

  function emit(name, detail) {
    for (const fn of state.listeners[name] || []) {
      try { fn(detail); } catch (error) { console.error("Frontdesk listener failed", error); }
    }
  }

  function normUser(u) {
    const text = (v) => (v ? String(v) : undefined);
    return { id: String(u.id), name: text(u.name) || "", email: text(u.email), hash: text(u.hash) };
  }

  const api = {
    __frontdesk: true,
    /** Identify the visitor. With `hash` (HMAC-SHA256 of id, by your server) the identity is verified. */
    setUser(user) {
      if (user?.id === undefined || user.id === null) return Promise.reject(new Error("setUser needs an id"));
      state.user = normUser(user);
      return startSession().then(() => undefined);
    },
    /** Custom attributes of the visitor's contact, e.g. {plan: "gold", seats: 12}. */
    setAttributes(attributes) {
      return serial(() => call("POST", "/attributes", { attributes: { ...attributes } })).then(() => undefined);
    },
    open,
    close,
    /** Forget the visitor (call on sign-out): the next visitor on this browser starts afresh. */
    reset() {
      Object.assign(state, { user: null, token: null, session: null, conversation: null, ready: false, cursor: null });
      store.remove(STORE);
      clearLog();
      hideCsat();
      return startSession().then(() => undefined);
    },
    on(name, fn) {
      (state.listeners[name] = state.listeners[name] || []).push(fn);
      if (name === "ready" && state.ready && state.session) fn(readyDetail());
      return api;
    },
    off(name, fn) {
      state.listeners[name] = (state.listeners[name] || []).filter((f) => f !== fn);
      return api;
    },
  };
  window.Frontdesk = api;

  // Calls queued before the script loaded: window.Frontdesk = [["setUser", {...}], ["on", "ready", fn]].
  const queued = Array.isArray(previous) ? previous : [];
  const firstUser = queued.find((c) => Array.isArray(c) && c[0] === "setUser" && c[1]);
  if (firstUser) state.user = normUser(firstUser[1]);

  function boot() {
    mount();
    // The session goes first in the chain, so queued setAttributes calls run once it exists.
    startSession().catch(() => {});
    for (const c of queued) {
      if (!Array.isArray(c) || c[0] === "setUser" || typeof api[c[0]] !== "function") continue;
      try {
        const result = api[c[0]](...c.slice(1));
        result?.catch?.((error) => console.error("Frontdesk", error));
      } catch (error) { console.error("Frontdesk", error); }
    }
  }

  if (document.body) boot();
  else document.addEventListener("DOMContentLoaded", boot, { once: true });
})();
