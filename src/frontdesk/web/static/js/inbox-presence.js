// Going online or offline, available or busy, and the heartbeat that keeps an online agent online.
// The server ends a shift whose heartbeats stop, so a closed laptop is not counted as working time.
import { api } from "./inbox-api.js";
import { toast } from "./inbox-dom.js";

export class Presence {
  constructor(app) {
    this.app = app;
    this.box = document.getElementById("presence");
    this.toggle = document.getElementById("presence-toggle");
    this.availability = document.getElementById("presence-availability");
    this.state = { ...app.boot.presence };
    this.timer = 0;
    if (!this.box) return;
    this.box.hidden = false;
    this.toggle.addEventListener("click", () => this.set({ status: this.state.status === "online" ? "offline" : "online" }));
    this.availability.addEventListener("change", () => this.set({ availability: this.availability.value }));
    document.addEventListener("visibilitychange", () => {
      // Timers are throttled in background tabs; beat at once when the tab comes back.
      if (document.visibilityState === "visible" && this.state.status === "online") this.beat();
    });
    this.render();
    this.schedule();
  }

  render() {
    if (!this.box) return;
    const online = this.state.status === "online";
    this.toggle.setAttribute("aria-pressed", online ? "true" : "false");
    this.toggle.textContent = online ? "Online" : "Offline";
    this.toggle.title = online ? "You are online: click to go offline" : "You are offline: click to go online";
    this.availability.value = this.state.availability;
    this.availability.disabled = !online;
    this.box.dataset.status = online ? (this.state.availability === "busy" ? "busy" : "online") : "offline";
  }

  apply(presence) {
    this.state = { ...this.state, ...presence };
    this.render();
    this.schedule();
  }

  schedule() {
    clearInterval(this.timer);
    if (this.state.status !== "online") return;
    const every = Math.max(5, Number(this.state.heartbeat_seconds) || 30) * 1000;
    this.timer = setInterval(() => this.beat(), every);
  }

  async set(change) {
    try {
      this.apply(await api("PUT", "/agents/me/presence", change));
      const online = this.state.status === "online";
      toast(online ? (this.state.availability === "busy" ? "You are online and busy: no automatic assignments." : "You are online.") : "You are offline.");
    } catch (error) {
      toast(error.message, { kind: "error" });
      this.render();
    }
  }

  async beat() {
    try {
      const presence = await api("POST", "/agents/me/heartbeat");
      if (presence.status !== this.state.status || presence.availability !== this.state.availability) this.apply(presence);
    } catch {
      // A missed beat is harmless; three in a row end the shift, which is the point.
    }
  }

  // Another tab (or the server) changed our presence.
  onEvent(event) {
    if (event.user_id !== this.app.me.id) return;
    if (event.status === this.state.status && event.availability === this.state.availability) return;
    this.apply({ status: event.status, availability: event.availability });
  }
}
