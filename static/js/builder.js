// Pure helpers of the metrics builder: default colours, names and legends, aggregate lines,
// and keeping a definition consistent after a series or CDEF is removed.

// Colours come from the server (rrd/layout.py) in the page config's `colors`: `palette` in
// the render API's order, a line without a colour drawn in palette[its index] (so the
// editor shows that colour too), and `restart` for restart ticks.

/** The palette colour of the next line added to `def`. */
/** The first palette colour no line uses yet (after removals too), else by position. */
export function nextColor(def, palette) {
  const used = new Set(def.lines.map((l) => (l.color || "").slice(0, 7).toLowerCase()));
  return (
    palette.find((c) => !used.has(c.toLowerCase())) || palette[def.lines.length % palette.length]
  );
}

function tokens(s) {
  return [...s.path.split("/"), s.ds];
}

function commonPrefix(lists) {
  const shortest = Math.min(...lists.map((l) => l.length));
  let n = 0;
  while (n < shortest - 1 && lists.every((l) => l[n] === lists[0][n])) n += 1;
  return n;
}

/** Write out the palette colour of every line drawn by position (no colour of its own):
 * before lines move or go, so each keeps the colour it is drawn in. */
export function pinColors(lines, palette) {
  lines.forEach((line, i) => {
    if (!line.color) line.color = palette[i % palette.length];
  });
}

/**
 * A default legend per series ({path, ds}): the last path segment and the DS
 * ("load1:data") when those differ between the series; otherwise the shortest part of
 * the names that tells them apart: the segments left when those every name starts
 * and ends with are cut ("web1", "web2").
 */
export function autoLabels(series) {
  const simple = series.map((s) => `${s.path.split("/").pop()}:${s.ds}`);
  if (new Set(simple).size === simple.length) return simple;
  const lists = series.map(tokens);
  const head = commonPrefix(lists);
  const tail = commonPrefix(lists.map((l) => l.slice(head).reverse()));
  return series.map((s, i) => {
    const list = lists[i];
    const middle = list.slice(head, list.length - tail);
    if (!middle.length) return `${s.path}:${s.ds}`;
    const dsInside = list.length - tail === list.length;
    const path = dsInside ? middle.slice(0, -1) : middle;
    const text = path.join("/");
    return dsInside ? `${text}${text ? ":" : ""}${s.ds}` : text;
  });
}

/** A new graph's title from its first series: the path of one ("web/cpu"), or what
 * several have in common, with a star where they differ (e.g. "web/STAR, 2 series"). */
export function defaultTitle(items) {
  const lists = items.map((s) => s.path.replace(/^(metrics|tracelog)\//, "").split("/"));
  if (lists.length === 1) return lists[0].join("/");
  const head = commonPrefix(lists);
  const tail = commonPrefix(lists.map((l) => l.slice(head).reverse()));
  const shortest = Math.min(...lists.map((l) => l.length));
  const parts = [...lists[0].slice(0, head), "*", ...lists[0].slice(lists[0].length - tail)];
  const text = head + tail >= shortest ? lists[0].join("/") : parts.join("/");
  return `${text}, ${items.length} series`;
}

/** After a removal: aggregates forget removed names (and go when none is left); lines of
 * removed series or CDEFs go. */
export function pruneDefinition(def) {
  const known = new Set(def.series.map((s) => s.name));
  def.cdefs = (def.cdefs || []).filter((c) => {
    if (c.of) {
      c.of = c.of.filter((n) => known.has(n));
      if (!c.of.length) return false;
    }
    known.add(c.name);
    return true;
  });
  def.lines = (def.lines || []).filter(
    (l) => l.type === "HRULE" || l.value === "" || known.has(l.value),
  );
}

/** The names a line or CDEF of `def` can draw: its series', then its CDEFs'. */
export function names(def) {
  return [...def.series.map((s) => s.name), ...(def.cdefs || []).map((c) => c.name)];
}

/** `stem` followed by the first number that makes a name `def` does not use yet. */
export function freshName(def, stem) {
  const taken = new Set(names(def));
  for (let i = 1; ; i += 1) if (!taken.has(`${stem}${i}`)) return `${stem}${i}`;
}

/**
 * Replace the lines of the `chosen` series of `def` by one line of their aggregate: a CDEF
 * {aggregate: kind, of} (kind TOTAL, AVERAGE, MIN or MAX, `label` its word in the legend),
 * or with kind "RPN" a CDEF adding them up to edit. Returns the new CDEF's name.
 * `colors` is the page config's `colors` ({palette, restart}).
 */
export function addAggregate(def, chosen, kind, label, colors) {
  const of = chosen.map((s) => s.name);
  const dss = [...new Set(chosen.map((s) => s.ds))];
  const leaves = [...new Set(chosen.map((s) => s.path.split("/").pop()))];
  const what =
    leaves.length === 1 && chosen.length > 1 ? leaves[0] : dss.length === 1 ? dss[0] : "series";
  let name;
  if (kind === "RPN") {
    name = freshName(def, "expr");
    def.cdefs.push({ name, rpn: [of[0], ...of.slice(1).map((n) => `${n},ADDNAN`)].join(",") });
  } else {
    name = freshName(def, kind.toLowerCase());
    def.cdefs.push({ name, aggregate: kind, of });
  }
  const dropped = new Set(of);
  def.lines = def.lines.filter((l) => !dropped.has(l.value));
  const legend = kind === "RPN" ? `${name}` : `${label} ${what} (${of.length} series)`;
  if (dss.length === 1 && dss[0] === "start") {
    def.lines.push({
      value: name,
      type: "TICK",
      color: colors.restart, // an aggregate of restart ticks is drawn as ticks too
      legend: "restart",
      fraction: 1,
    });
  } else {
    def.lines.push({
      value: name,
      type: "LINE",
      width: 2,
      color: nextColor(def, colors.palette),
      legend,
      dash: false,
      stack: false,
    });
  }
  return name;
}
