// Progressive enhancements for the server-rendered pages. Every page works without them.
import { enhanceCopyButtons } from "./copy.js";
import { enhanceForms } from "./forms.js";
import { startNotifications } from "./notifications.js";

function start() {
  enhanceForms(document);
  enhanceCopyButtons(document);
  startNotifications();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true });
} else {
  start();
}
