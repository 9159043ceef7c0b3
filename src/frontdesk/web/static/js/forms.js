// Confirmations for destructive buttons, focus on the first error, time zone guess, select-all.

export function enhanceForms(root) {
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  const summary = root.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();

  for (const select of root.querySelectorAll("select[data-guess-timezone]")) {
    // Only a suggestion for a fresh form: never overwrite what the person picked.
    if (select.value !== "UTC") continue;
    let zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch {
      zone = "";
    }
    if (zone && [...select.options].some((o) => o.value === zone)) select.value = zone;
  }

  for (const group of root.querySelectorAll("[data-check-group]")) {
    const tools = group.querySelector(".check-tools");
    if (tools) tools.hidden = false;
    const boxes = () => group.querySelectorAll('input[type="checkbox"]');
    group.querySelector("[data-check-all]")?.addEventListener("click", () => {
      for (const box of boxes()) box.checked = true;
    });
    group.querySelector("[data-check-none]")?.addEventListener("click", () => {
      for (const box of boxes()) box.checked = false;
    });
  }
}
