// "Copy" buttons next to values shown once (API keys, invitation links).

async function copyText(input) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(input.value);
      return true;
    } catch {
      // Fall through to the selection, which works on plain http too.
    }
  }
  input.focus();
  input.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

export function enhanceCopyButtons(root) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    const input = root.getElementById(button.dataset.copy);
    const status = root.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    if (!input) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const ok = await copyText(input);
      if (status) {
        status.textContent = ok ? "Copied to the clipboard." : "Select the text and copy it yourself.";
      }
    });
  }
  for (const input of root.querySelectorAll("input[data-select-on-focus]")) {
    input.addEventListener("focus", () => input.select());
  }
}
