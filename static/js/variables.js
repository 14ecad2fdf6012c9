// Dashboard variables: `$env` (or `${env}`) in a graph's series paths, title, legends and
// vertical label, its value picked once for the whole page and kept in the URL
// (?var-env=prod). A page declares its variables ({name, pattern}: the values are what
// `$name` matches in the series names, see GET /api/variables/values); a page that does
// not declare `customer` or `host` has them built in, over the tracelog file stems.

export const BUILTINS = [
  { name: "customer", pattern: "tracelog/*__$customer__*" },
  { name: "host", pattern: "tracelog/$host__*__*" },
];
const BRACED = /^\{([a-z][a-z0-9_]{0,30})\}/;

/** `text` as strings and {name} references to `names`: `${name}`, or `$` followed by the
 * longest of `names` it starts with (`app1__$customer__inst1` uses $customer). A `$`
 * naming none of them stays text. (The server reads patterns the same way.) */
export function splitReferences(text, names) {
  const parts = [];
  let plain = "";
  let pos = 0;
  while (pos < text.length) {
    if (text[pos] !== "$") {
      plain += text[pos];
      pos += 1;
      continue;
    }
    const braced = BRACED.exec(text.slice(pos + 1));
    let name = "";
    let end = pos + 1;
    if (braced && names.includes(braced[1])) {
      name = braced[1];
      end = pos + 1 + braced[0].length;
    } else if (!braced) {
      for (const n of names) if (text.startsWith(n, pos + 1) && n.length > name.length) name = n;
      end = pos + 1 + name.length;
    }
    if (!name) {
      plain += "$";
      pos += 1;
      continue;
    }
    if (plain) parts.push(plain);
    parts.push({ name });
    plain = "";
    pos = end;
  }
  if (plain) parts.push(plain);
  return parts;
}

function texts(def) {
  return [
    def.title,
    def.vlabel,
    ...(def.series || []).map((s) => s.path),
    ...(def.lines || []).map((l) => l.legend),
  ].filter((t) => typeof t === "string");
}

/** The variables of `names` the definitions use, in the order of `names`. */
export function usedVariables(defs, names = BUILTINS.map((v) => v.name)) {
  const used = new Set();
  for (const def of defs)
    for (const text of texts(def))
      for (const part of splitReferences(text, names)) if (part.name) used.add(part.name);
  return names.filter((n) => used.has(n));
}

/** The page's variables as its pickers show them: those it declares, then each built-in
 * its graphs use that it does not declare. */
export function pageVariables(declared, defs) {
  const names = new Set(declared.map((v) => v.name));
  const builtins = BUILTINS.filter((v) => !names.has(v.name));
  const used = new Set(usedVariables(defs, [...names, ...builtins.map((v) => v.name)]));
  return [...declared, ...builtins.filter((v) => used.has(v.name))];
}

function replace(text, values) {
  if (typeof text !== "string") return text;
  return splitReferences(text, Object.keys(values))
    .map((part) => (typeof part === "string" ? part : values[part.name] || `$${part.name}`))
    .join("");
}

/** The definition with the variables' values put in; unchanged when it uses none. */
export function applyVariables(def, values) {
  if (!usedVariables([def], Object.keys(values)).length) return def;
  return {
    ...def,
    title: replace(def.title, values),
    vlabel: replace(def.vlabel, values),
    series: (def.series || []).map((s) => ({ ...s, path: replace(s.path, values) })),
    lines: (def.lines || []).map((l) => ({ ...l, legend: replace(l.legend, values) })),
  };
}

/** The values of the variables `names` in a URL query (`var-NAME=value`). */
export function readVariables(search, names = BUILTINS.map((v) => v.name)) {
  const params = new URLSearchParams(search);
  const values = {};
  for (const name of names) if (params.get(`var-${name}`)) values[name] = params.get(`var-${name}`);
  return values;
}

/** The query of GET /api/variables/values for `variable`, the earlier ones' `values` given
 * (an empty one matches any value). */
export function valuesQuery(variable, earlier, values) {
  const query = new URLSearchParams({ pattern: variable.pattern, name: variable.name });
  for (const name of earlier) query.set(`var-${name}`, values[name] || "");
  return query;
}

/** The value a picker keeps: `current` while listed (or, `keep`, even when not), else
 * the first listed. */
export function chooseValue(current, listed, { keep = false } = {}) {
  if (current && (keep || listed.includes(current))) return current;
  return listed[0] || "";
}

/** The rows of the variables editor as the page saves them: blank rows left out, names
 * and patterns trimmed. (The server checks them.) */
export function declarations(rows) {
  return rows
    .map((r) => ({ name: (r.name || "").trim(), pattern: (r.pattern || "").trim() }))
    .filter((r) => r.name || r.pattern);
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
