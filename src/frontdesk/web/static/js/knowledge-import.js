// Keeps an import's progress bar and error report current while the background job runs.
// The page is complete without this script; it only saves reloading by hand.

const POLL_MS = 1000;

function text(row, value) {
  const cell = document.createElement("td");
  cell.textContent = value;
  row.append(cell);
}

function render(root, data) {
  const set = (name, value) => {
    const el = root.ownerDocument.querySelector(`[data-field="${name}"]`);
    if (el) el.textContent = String(value);
  };
  for (const name of ["status", "done", "total", "created_count", "updated_count", "failed_count"]) {
    set(name, data[name]);
  }
  const bar = document.getElementById("kb-progress-bar");
  if (bar) {
    bar.max = Math.max(data.total, 1);
    bar.value = data.total ? data.done : data.status === "done" ? 1 : 0;
    bar.textContent = `${data.done} of ${data.total}`;
  }
  const failure = document.querySelector('[data-field="failure"]');
  if (failure) {
    failure.textContent = data.failure || "";
    failure.hidden = !data.failure;
  }
  const body = document.querySelector('[data-field="errors"]');
  if (body && body.children.length !== data.errors.length) {
    const rows = data.errors.map((e) => {
      const row = document.createElement("tr");
      text(row, e.file || "");
      text(row, e.row ? String(e.row) : "whole file");
      text(row, e.field || "");
      text(row, e.message);
      return row;
    });
    body.replaceChildren(...rows);
  }
  const wrap = document.querySelector('[data-field="errors-wrap"]');
  const none = document.querySelector('[data-field="no-errors"]');
  if (wrap) wrap.hidden = data.errors.length === 0;
  if (none) none.hidden = data.errors.length !== 0;
  root.dataset.status = data.status;
}

async function poll(root) {
  const id = root.dataset.importId;
  let response;
  try {
    response = await fetch(`/api/v1/knowledge/imports/${encodeURIComponent(id)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch {
    setTimeout(() => poll(root), POLL_MS * 3);
    return;
  }
  if (response.status === 401) {
    // The access cookie expired; a page load renews it from the refresh cookie.
    location.reload();
    return;
  }
  if (!response.ok) return;
  const data = await response.json();
  render(root, data);
  if (data.status === "pending" || data.status === "running") setTimeout(() => poll(root), POLL_MS);
}

function start() {
  const root = document.querySelector("[data-import-id]");
  if (!root) return;
  if (root.dataset.status === "pending" || root.dataset.status === "running") setTimeout(() => poll(root), POLL_MS);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true });
} else {
  start();
}
