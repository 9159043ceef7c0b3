// The realtime socket, kept open: reconnects with jittered exponential backoff, renews the session
// when the server closes for an expired token (4401), and pings so a dead network is noticed.
// Events can be lost while it is down; the owner re-reads over REST on every "ready".
import { renewSession, signInAgain } from "./inbox-api.js";

const PING_EVERY = 25000;
const SILENT_LIMIT = 65000;
const MAX_DELAY = 30000;
const CONNECT_TIMEOUT = 10000;

export class LiveSocket {
  constructor({ onEvent, onState }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.lastFrame = 0;
    this.state = "offline";
    this.typingSupported = true;
    this.lastSentType = "";
    window.addEventListener("online", () => this.reconnectSoon());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectSoon();
    });
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/api/v1/realtime`;
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.ws && this.ws.readyState <= 1) return;
    this.setState(this.attempt ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    // A connection that neither opens nor fails (a stalled proxy) is given up on and tried again.
    const watchdog = setTimeout(() => {
      if (this.ws === ws && ws.readyState !== 1) {
        ws.close();
        this.closed(ws, { code: 4000 });
      }
    }, CONNECT_TIMEOUT);
    ws.addEventListener("message", (message) => {
      this.lastFrame = Date.now();
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!event || typeof event !== "object") return;
      if (event.type === "ready") {
        this.attempt = 0;
        this.setState("live");
      }
      if (event.type === "pong") return;
      if (event.type === "error" && event.code === "unknown_message" && this.lastSentType === "typing") {
        // An older server: it does not relay typing, so stop sending it.
        this.typingSupported = false;
        return;
      }
      this.onEvent(event);
    });
    ws.addEventListener("open", () => {
      clearTimeout(watchdog);
      this.lastFrame = Date.now();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.ping(), PING_EVERY);
    });
    ws.addEventListener("close", (event) => {
      clearTimeout(watchdog);
      this.closed(ws, event);
    });
  }

  async closed(ws, event) {
    if (this.ws !== ws) return;
    clearInterval(this.pingTimer);
    this.ws = null;
    this.setState("reconnecting");
    if (event.code === 4401) {
      // The access token ran out (or was revoked): renew it through the page, then come back.
      if (!(await renewSession())) return;
      this.attempt = 0;
      this.connect();
      return;
    }
    if (event.code === 4404) {
      signInAgain();
      return;
    }
    this.schedule();
  }

  schedule() {
    clearTimeout(this.retryTimer);
    const base = Math.min(MAX_DELAY, 500 * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
  }

  reconnectSoon() {
    if (this.ws && this.ws.readyState <= 1) return;
    this.attempt = 0;
    this.connect();
  }

  ping() {
    if (!this.ws || this.ws.readyState !== 1) return;
    if (Date.now() - this.lastFrame > SILENT_LIMIT) {
      // Nothing heard for a minute: the connection is dead without knowing it (a changed network).
      this.ws.close(4000);
      return;
    }
    this.send({ type: "ping" });
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.lastSentType = frame.type;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  typing(conversationId) {
    if (!this.typingSupported) return false;
    return this.send({ type: "typing", conversation_id: conversationId });
  }
}
