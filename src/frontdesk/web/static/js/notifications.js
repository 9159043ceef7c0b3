// The notification bell on every signed-in page: the unread count, live arrivals over the realtime
// socket (the inbox page's own socket when there is one), a browser pop-up while the tab is in the
// background (if the person allowed it and wants that kind), and an optional short sound.
import { LiveSocket } from "./inbox-socket.js";

let bell = null;
let counter = null;
let live = null;
let unread = 0;
let sound = false;

async function getJSON(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function show(count) {
  unread = Math.max(0, count);
  counter.textContent = unread ? String(unread > 99 ? "99+" : unread) : "";
  counter.hidden = unread === 0;
  bell.setAttribute("aria-label", unread ? `Notifications, ${unread} unread` : "Notifications");
  bell.dataset.unread = String(unread);
}

async function refresh() {
  try {
    show((await getJSON("/api/v1/notifications/unread-count")).unread);
  } catch {
    // Signed out or offline: the link still works, only the count is missing.
  }
}

function beep() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  try {
    const audio = new Context();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
    tone.onended = () => audio.close();
  } catch {
    // Autoplay rules may refuse sound before the person has interacted with the page.
  }
}

function popUp(item) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const note = new Notification(item.title, { body: item.body || "", tag: item.id });
  note.addEventListener("click", () => {
    window.focus();
    if (item.link) location.assign(item.link);
    note.close();
  });
}

function onEvent(event) {
  if (!event || typeof event !== "object") return;
  if (event.type === "ready" || event.type === "overflow") {
    refresh();
    return;
  }
  if (event.type === "notifications.changed") {
    if (event.organization_id === bell.dataset.orgId) refresh();
    return;
  }
  if (event.type !== "notification" || !event.notification) return;
  const item = event.notification;
  // The bell counts the organization on screen; another organization's news waits for its own page.
  if (item.organization_id !== bell.dataset.orgId) return;
  show(unread + 1);
  if (live) live.textContent = `New notification: ${item.title}`;
  if (document.visibilityState === "hidden" && event.browser) popUp(item);
  if (sound) beep();
  document.dispatchEvent(new CustomEvent("frontdesk:notification", { detail: item }));
}

function enhancePreferences() {
  const box = document.querySelector("[data-browser-permission]");
  if (!box || !("Notification" in window)) return;
  const state = box.querySelector("[data-permission-state]");
  const button = box.querySelector("[data-ask-permission]");
  const describe = () => {
    const now = Notification.permission;
    state.textContent =
      now === "granted" ? "Allowed." : now === "denied" ? "Blocked in your browser's site settings." : "Not asked yet.";
    button.hidden = now !== "default";
  };
  box.hidden = false;
  describe();
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    describe();
  });
}

export async function startNotifications() {
  bell = document.querySelector("[data-notification-bell]");
  enhancePreferences();
  if (!bell) return;
  counter = bell.querySelector("[data-unread-count]");
  live = document.querySelector("[data-notification-live]");
  refresh();
  getJSON("/api/v1/notifications/preferences")
    .then((prefs) => {
      sound = Boolean(prefs.sound);
    })
    .catch(() => {});
  if (document.getElementById("inbox-boot")) {
    // The inbox keeps its own socket open and forwards every event.
    window.addEventListener("frontdesk:event", (e) => onEvent(e.detail));
  } else {
    new LiveSocket({ onEvent, onState: () => {} }).connect();
  }
}
