// Dashboard variables: `$customer` and `$host` in a graph's series paths, title and legends,
// their values picked once for the whole page and kept in the URL (?var-customer=acme).

export const VARIABLES = ["customer", "host"];
const PATTERN = /\$\{?(customer|host)\}?/g;

function texts(def) {
  return [
    def.title,
    def.vlabel,
    ...(def.series || []).map((s) => s.path),
    ...(def.lines || []).map((l) => l.legend),
  ].filter((t) => typeof t === "string");
}

/** The variables the definitions use, in VARIABLES' order. */
export function usedVariables(defs) {
  const used = new Set();
  for (const def of defs)
    for (const text of texts(def)) for (const m of text.matchAll(PATTERN)) used.add(m[1]);
  return VARIABLES.filter((v) => used.has(v));
}

function replace(text, values) {
  return typeof text === "string"
    ? text.replace(PATTERN, (whole, name) => values[name] ?? whole)
    : text;
}

/** The definition with the variables' values put in; unchanged when it uses none. */
export function applyVariables(def, values) {
  if (!usedVariables([def]).length) return def;
  return {
    ...def,
    title: replace(def.title, values),
    vlabel: replace(def.vlabel, values),
    series: (def.series || []).map((s) => ({ ...s, path: replace(s.path, values) })),
    lines: (def.lines || []).map((l) => ({ ...l, legend: replace(l.legend, values) })),
  };
}

/** The variables' values in a URL query (`var-NAME=value`). */
export function readVariables(search) {
  const params = new URLSearchParams(search);
  const values = {};
  for (const name of VARIABLES)
    if (params.get(`var-${name}`)) values[name] = params.get(`var-${name}`);
  return values;
}

/** Each variable's values, from tracelog file stems (`host__customer__instance`). */
export function variableValues(stems) {
  const customers = new Set();
  const hosts = new Set();
  for (const stem of stems) {
    const parts = stem.split("__");
    if (parts.length !== 3) continue;
    hosts.add(parts[0]);
    customers.add(parts[1]);
  }
  return { customer: [...customers].sort(), host: [...hosts].sort() };
}

/** A tracelog definition made to follow the page's `$customer`: its paths and title. */
export function followCustomer(def) {
  const customers = new Set();
  const series = (def.series || []).map((s) => {
    const m = /^tracelog\/([^/]+?)__([^/]+?)__([^/]+)$/.exec(s.path);
    if (!m) return s;
    customers.add(m[2]);
    return { ...s, path: `tracelog/${m[1]}__$customer__${m[3]}` };
  });
  if (customers.size !== 1) return def;
  const [customer] = customers;
  const title = (def.title || "").split(customer).join("$customer");
  return { ...def, series, title };
}
