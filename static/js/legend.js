// The lines of a graph as its legend shows them: which are hidden (the card's view keeps
// their value names), the definition drawn without them, and where restarts come from.

/** The lines drawn when nothing is hidden: the definition's, or one per series. */
export function drawnLines(def, palette) {
  if (def.lines?.length) return def.lines;
  return (def.series || []).map((s, i) => ({
    value: s.name,
    color: palette[i % palette.length],
    legend: s.name,
  }));
}

/** The definition to draw with the lines of `hidden` (value names) left out; unchanged
 * when none is hidden. Lines keep their colours (implicit ones get theirs written out). */
export function visibleDefinition(def, hidden, palette) {
  const skip = new Set(hidden || []);
  const lines = drawnLines(def, palette);
  if (!lines.some((l) => skip.has(l.value))) return def;
  const pinned = lines.map((l, i) => (l.color ? l : { ...l, color: palette[i % palette.length] }));
  return { ...def, lines: pinned.filter((l) => !skip.has(l.value)) };
}

/** The hidden list after a click on `value`: toggled, or with `isolate` every other line
 * hidden (or, when it already is alone, every line shown again). Never hides them all. */
export function toggleHidden(lines, hidden, value, { isolate = false } = {}) {
  const all = lines.map((l) => l.value);
  const now = new Set(hidden || []);
  if (isolate) {
    const alone = all.every((v) => (v === value) !== now.has(v));
    return alone ? [] : all.filter((v) => v !== value);
  }
  if (now.has(value)) now.delete(value);
  else now.add(value);
  const next = all.filter((v) => now.has(v));
  return next.length === all.length ? [] : next;
}

/** "host/instance" of a tracelog series path, else the path. */
export function seriesLabel(path) {
  const stem = path.startsWith("tracelog/") ? path.slice("tracelog/".length) : path;
  const parts = stem.split("__");
  return parts.length === 3 ? `${parts[0]}/${parts[2]}` : path;
}

/** The series behind the graph's restart ticks (TICK lines of a `start` series, or of an
 * aggregate of such series), to name the instances that restarted. */
export function restartSeries(def) {
  const series = new Map((def.series || []).map((s) => [s.name, s]));
  const cdefs = new Map((def.cdefs || []).map((c) => [c.name, c]));
  const found = [];
  for (const line of def.lines || []) {
    if (line.type !== "TICK") continue;
    const names = series.has(line.value) ? [line.value] : cdefs.get(line.value)?.of || [];
    for (const name of names) {
      const s = series.get(name);
      if (s && s.ds === "start") found.push(s);
    }
  }
  return found;
}

/** A definition drawing each of `series` as its own column, labelled by instance. */
export function restartDefinition(series) {
  return {
    series: series.map((s, i) => ({ name: `r${i}`, path: s.path, ds: s.ds, cf: s.cf || "MAX" })),
    lines: series.map((s, i) => ({ value: `r${i}`, legend: seriesLabel(s.path) })),
  };
}
