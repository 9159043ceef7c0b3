// The JSON API with the browser's session cookie. Writes echo the fd_csrf cookie in X-CSRF-Token,
// which another site cannot read, so it cannot forge them.

export class ApiError extends Error {
  constructor(status, body) {
    const data = body && typeof body === "object" ? body : {};
    super(typeof data.message === "string" ? data.message : `The server answered ${status}.`);
    this.status = status;
    this.code = typeof data.code === "string" ? data.code : "error";
    this.details = data.details || {};
  }
}

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "fd_csrf") return decodeURIComponent(rest.join("="));
  }
  return "";
}

export function signInAgain() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

let renewing = null;

// The access cookie lives 15 minutes; the refresh cookie is httpOnly, so only a page request can use
// it. This one exists for that, and answers 204 with fresh cookies, or redirects to sign-in.
export function renewSession() {
  if (!renewing) {
    renewing = fetch("/app/inbox/session", { credentials: "same-origin", redirect: "manual" })
      .then((r) => {
        if (r.status === 204) return true;
        if (r.type === "opaqueredirect" || r.status === 401 || r.status === 303) signInAgain();
        return false;
      })
      .catch(() => false)
      .finally(() => {
        setTimeout(() => { renewing = null; }, 0);
      });
  }
  return renewing;
}

export async function api(method, path, body, { retry = true } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, { code: "network", message: "The server could not be reached. Check the connection and try again." });
  }
  if (response.status === 401 && retry && (await renewSession())) {
    return api(method, path, body, { retry: false });
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 429 && data && !data.message) data.message = "Too many requests; wait a moment.";
    throw new ApiError(response.status, data);
  }
  return data;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) for (const v of value) search.append(key, v);
    else if (value !== undefined && value !== null && value !== "") search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
