// The lead board: drag a card to another column to change its status. Each card also has a
// "Move to" form that works with the keyboard and without this script; dragging uses the same API.

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "fd_csrf") return decodeURIComponent(rest.join("="));
  }
  return "";
}

async function moveLead(id, status) {
  const response = await fetch(`/api/v1/leads/${encodeURIComponent(id)}`, {
    method: "PATCH",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify({ status }),
  });
  if (!response.ok) {
    let message = `The server answered ${response.status}.`;
    try {
      const body = await response.json();
      if (body && typeof body.message === "string") message = body.message;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new Error(message);
  }
}

function recount(board) {
  for (const column of board.querySelectorAll(".lead-column")) {
    const count = column.querySelectorAll(".lead-card").length;
    const badge = column.querySelector("[data-count]");
    if (badge) badge.textContent = String(count);
    const empty = column.querySelector("[data-empty]");
    if (empty) empty.hidden = count > 0;
  }
}

function setup(board) {
  if (board.dataset.canWrite !== "true") return;
  const status = document.querySelector("[data-board-status]");
  let dragged = null;

  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest(".lead-card");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.leadId);
  });
  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    for (const c of board.querySelectorAll(".is-target")) c.classList.remove("is-target");
  });
  board.addEventListener("dragover", (event) => {
    const column = event.target.closest(".lead-column");
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    for (const c of board.querySelectorAll(".is-target")) if (c !== column) c.classList.remove("is-target");
    column.classList.add("is-target");
  });
  board.addEventListener("drop", async (event) => {
    const column = event.target.closest(".lead-column");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("is-target");
    const card = dragged;
    const from = card.closest(".lead-column");
    if (from === column) return;
    const list = column.querySelector("[data-drop-zone]");
    list.prepend(card);
    recount(board);
    const select = card.querySelector("select[name=status]");
    const label = column.querySelector("h2").firstChild.textContent.trim();
    try {
      await moveLead(card.dataset.leadId, column.dataset.status);
      if (select) select.value = column.dataset.status;
      if (status) status.textContent = `Moved to ${label}.`;
    } catch (error) {
      from.querySelector("[data-drop-zone]").prepend(card);
      recount(board);
      if (status) status.textContent = `Not moved: ${error.message}`;
    }
  });
}

for (const board of document.querySelectorAll("[data-lead-board]")) setup(board);
