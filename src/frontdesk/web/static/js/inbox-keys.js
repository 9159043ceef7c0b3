// Keyboard shortcuts: j/k move through the list, r replies, e resolves, ? shows the help.
// They are ignored while typing in a field, and with Ctrl, Alt or Cmd held (browser shortcuts).
import { isTypingTarget } from "./inbox-dom.js";

export function installShortcuts(app) {
  const help = document.getElementById("help");
  const opener = document.getElementById("help-open");
  const showHelp = () => {
    if (help && !help.open) help.showModal();
  };
  if (opener) {
    opener.hidden = false;
    opener.addEventListener("click", showHelp);
  }
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (help?.open || isTypingTarget(event.target)) return;
    const actions = {
      j: () => app.list.move(1),
      k: () => app.list.move(-1),
      r: () => app.thread.focusReply(),
      e: () => app.thread.resolve(),
      "?": showHelp,
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
