// JSON calls to the app: CSRF header on writes, errors carry the server's message.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

export async function api(url, { method = "GET", body, keepalive = false } = {}) {
  const init = {
    method,
    credentials: "same-origin",
    keepalive,
    headers: { Accept: "application/json" },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken();
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, `the server cannot be reached (${err.message})`, null);
  }
  let data = null;
  try {
    data = await resp.json();
  } catch {
    // not JSON: no data
  }
  if (!resp.ok) {
    throw new ApiError(resp.status, data?.error ?? `${resp.status} ${resp.statusText}`, data);
  }
  return data;
}

export function readConfig() {
  return JSON.parse(document.getElementById("gm-config").textContent);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    // through the CSSOM: the CSP (style-src 'self') refuses style="" attributes
    else if (key === "style") node.style.cssText = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}
