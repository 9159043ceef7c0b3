// Export and report progress: rows still being written are polled until they finish.

const POLL_MS = 1000;

function formatSize(bytes) {
  return bytes ? `${(bytes / 1024).toFixed(1)} KB` : "";
}

async function poll(row) {
  const id = row.dataset.exportId;
  let response;
  try {
    response = await fetch(`/api/v1/lead-exports/${encodeURIComponent(id)}`, { credentials: "same-origin" });
  } catch {
    setTimeout(() => poll(row), POLL_MS * 3);
    return;
  }
  if (response.status === 401) {
    // The session cookie expired; a page load renews it.
    location.reload();
    return;
  }
  if (!response.ok) return;
  const data = await response.json();
  const bar = row.querySelector("progress");
  if (bar) bar.value = data.progress;
  const text = row.querySelector("[data-progress-text]");
  if (text) text.textContent = `${data.status} ${Math.round(data.progress * 100)}%`;
  const rows = row.querySelector("[data-rows]");
  if (rows) rows.textContent = data.total_rows ? `${data.done_rows} / ${data.total_rows}` : String(data.done_rows);
  row.dataset.exportStatus = data.status;
  if (data.status === "done" || data.status === "failed") {
    const size = row.querySelector("[data-size]");
    if (size) size.textContent = formatSize(data.size_bytes);
    const head = row.querySelector("th");
    if (data.status === "done" && data.download_url && head && !head.querySelector("a")) {
      const link = document.createElement("a");
      link.href = data.download_url;
      link.setAttribute("download", "");
      link.textContent = data.filename;
      head.replaceChildren(link);
    }
    if (data.status === "failed" && text) text.textContent = `failed: ${data.error || ""}`;
    return;
  }
  setTimeout(() => poll(row), POLL_MS);
}

for (const row of document.querySelectorAll("[data-export-progress] tr[data-export-id]")) {
  if (row.dataset.exportStatus === "pending" || row.dataset.exportStatus === "running") poll(row);
}
