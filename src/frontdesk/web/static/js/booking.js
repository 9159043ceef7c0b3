// Public booking page: show times in the visitor's own zone. The first visit without ?tz= is
// reloaded once with the zone the browser reports; the visitor can still pick another one.
const form = document.querySelector("form[data-booking-tz][data-guess]");
if (form) {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    zone = "";
  }
  const select = form.querySelector("select[name=tz]");
  const known = select && [...select.options].some((o) => o.value === zone);
  if (zone && known && select.value !== zone) {
    const url = new URL(window.location.href);
    url.searchParams.set("tz", zone);
    window.location.replace(url.toString());
  }
}

// Submitting a change of zone right away when the select changes saves a click.
for (const select of document.querySelectorAll("form[data-booking-tz] select[name=tz]")) {
  select.addEventListener("change", () => select.form.submit());
}
