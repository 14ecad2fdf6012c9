// The slowest requests page: the query (instance or customer, start, end, tz) in the URL,
// the tables filled from /api/tracelog/slowest.

import { api, el, readConfig } from "./api.js";
import { validZone } from "./prefs.js";
import { fromLocalInput, setZone, stamp, toLocalInput } from "./timerange.js";

const config = readConfig();
const form = document.getElementById("slowest-form");
const fields = {
  instance: document.getElementById("slowest-instance"),
  customer: document.getElementById("slowest-customer"),
  host: document.getElementById("slowest-host"),
  from: document.getElementById("slowest-from"),
  to: document.getElementById("slowest-to"),
};
const summary = document.getElementById("slowest-summary");
const errorEl = document.getElementById("slowest-error");
const requestsBody = document.querySelector("#slowest-requests tbody");
const patternsBody = document.querySelector("#slowest-patterns tbody");

const query = new URLSearchParams(location.search);
const zone = query.get("tz");
if (zone && validZone(zone)) setZone(zone);

function seconds(value) {
  return value == null ? "–" : value.toFixed(3);
}

function cells(values) {
  return values.map((v) => el("td", { text: v == null ? "–" : String(v) }));
}

function showRequests(requests) {
  requestsBody.replaceChildren(
    ...requests.map((r) =>
      el(
        "tr",
        { class: "request" },
        el("td", { class: "num", text: seconds(r.total) }),
        el("td", { class: "num", text: seconds(r.app) }),
        el("td", { class: "num", text: seconds(r.wait) }),
        ...cells([r.method]),
        el("td", { class: "url", text: r.url ?? "" }),
        ...cells([r.status, r.size, stamp(r.t), r.instance, r.id]),
      ),
    ),
  );
}

function showPatterns(patterns) {
  patternsBody.replaceChildren(
    ...patterns.map((p) =>
      el(
        "tr",
        { class: "pattern" },
        ...cells([p.method]),
        el("td", { class: "url", text: p.pattern }),
        el("td", { class: "num", text: String(p.count) }),
        el("td", { class: "num", text: seconds(p.max) }),
        el("td", { class: "num", text: seconds(p.total) }),
      ),
    ),
  );
}

/** The query of the form's fields (start and end as epoch seconds). */
function formQuery() {
  const params = new URLSearchParams();
  for (const key of ["instance", "customer", "host"]) {
    const value = fields[key].value.trim();
    if (value) params.set(key, value);
  }
  const start = fromLocalInput(fields.from.value);
  const end = fromLocalInput(fields.to.value);
  if (start) params.set("start", start);
  if (end) params.set("end", end);
  if (zone) params.set("tz", zone);
  return params;
}

async function load(params) {
  errorEl.hidden = true;
  summary.textContent = "Loading…";
  const apiParams = new URLSearchParams(params);
  apiParams.delete("tz");
  try {
    const data = await api(`${config.urls.api}?${apiParams}`);
    fields.from.value = toLocalInput(data.start);
    fields.to.value = toLocalInput(data.end);
    showRequests(data.requests);
    showPatterns(data.patterns);
    const shown =
      data.requests.length < data.count ? `, the ${data.requests.length} slowest shown` : "";
    summary.textContent =
      `${data.scope}, ${stamp(data.start)} to ${stamp(data.end)}: ${data.count} requests ` +
      `in ${data.minutes} minutes${shown}` +
      (data.truncated ? " (the range holds more: narrow it)" : "") +
      (data.unreadable ? ` (${data.unreadable} unreadable lines skipped)` : "");
    document.body.dataset.loaded = "true";
  } catch (err) {
    summary.textContent = "";
    errorEl.textContent = `Cannot load the slowest requests: ${err.message}`;
    errorEl.hidden = false;
    showRequests([]);
    showPatterns([]);
  }
}

function go(params) {
  history.replaceState(null, "", `?${params}`);
  load(params);
}

/** The same range moved by its own length (earlier: -1, later: +1). */
function shift(direction) {
  const params = formQuery();
  const start = Number(params.get("start"));
  const end = Number(params.get("end"));
  if (!start || !end || end <= start) return;
  const span = end - start;
  params.set("start", String(start + direction * span));
  params.set("end", String(end + direction * span));
  go(params);
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  go(formQuery());
});
document.getElementById("slowest-earlier").addEventListener("click", () => shift(-1));
document.getElementById("slowest-later").addEventListener("click", () => shift(1));

if (query.get("instance") || query.get("customer")) load(query);
