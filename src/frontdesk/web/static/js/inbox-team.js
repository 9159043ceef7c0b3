// The team page: who is online changes while the page is open, so presence badges follow the socket.
import { LiveSocket } from "./inbox-socket.js";

function start() {
  const table = document.getElementById("presence-table");
  if (!table) return;
  const socket = new LiveSocket({
    onState: () => {},
    onEvent: (event) => {
      if (event.type !== "agent.presence") return;
      const row = [...table.querySelectorAll("tr[data-user]")].find((r) => r.dataset.user === event.user_id);
      const badge = row?.querySelector("[data-presence]");
      if (!badge) return;
      const online = event.status === "online";
      badge.className = `badge presence-${online ? "online" : "offline"}`;
      badge.textContent = online ? (event.availability === "busy" ? "Online · busy" : "Online") : "Offline";
    },
  });
  socket.connect();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
else start();
