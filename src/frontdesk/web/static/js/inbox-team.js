// The team page: who is online changes while the page is open, so presence badges follow the socket.
// Each (re)connect re-reads the list, since events sent while the socket was down are lost.
import { api } from "./inbox-api.js";
import { LiveSocket } from "./inbox-socket.js";

function start() {
  const table = document.getElementById("presence-table");
  const main = document.getElementById("main");
  if (!table) return;

  function show(userId, status, availability) {
    const row = [...table.querySelectorAll("tr[data-user]")].find((r) => r.dataset.user === userId);
    const badge = row?.querySelector("[data-presence]");
    if (!badge) return;
    const online = status === "online";
    badge.className = `badge presence-${online ? "online" : "offline"}`;
    badge.textContent = online ? (availability === "busy" ? "Online · busy" : "Online") : "Offline";
  }

  async function reread() {
    try {
      for (const p of await api("GET", "/agents/presence")) show(p.user_id, p.status, p.availability);
    } catch {
      // The page still shows what the server rendered; the next reconnect tries again.
    }
  }

  const socket = new LiveSocket({
    onState: (state) => {
      main.dataset.connection = state;
    },
    onEvent: (event) => {
      if (event.type === "ready" || event.type === "overflow") reread();
      else if (event.type === "agent.presence") show(event.user_id, event.status, event.availability);
    },
  });
  socket.connect();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
else start();
