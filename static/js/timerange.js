// A graph's view: {start, end} (epoch, ISO or AT-style like "-1d") or {trail: hours}.

export const PRESETS = [
  ["1h", "-1h"],
  ["6h", "-6h"],
  ["1d", "-1d"],
  ["1w", "-7d"],
  ["1m", "-30d"],
  ["1y", "-365d"],
];
export const DEFAULT_VIEW = Object.freeze({ start: "-1d", end: "now" });

// a drag-to-zoom narrower than this is taken for a click
const MIN_ZOOM_S = 60;
const UNITS = {
  s: 1,
  sec: 1,
  m: 60,
  min: 60,
  h: 3600,
  d: 86400,
  w: 604800,
  mon: 2592000,
  y: 31536000,
};

/** The view with its range in one form, and when set its step, image height, hidden lines
 * and width in the page's grid. */
export function normalise(view) {
  const extra = {};
  if (view?.step) extra.step = Number(view.step);
  if (view?.height) extra.height = Number(view.height);
  if (view?.hidden?.length) extra.hidden = [...view.hidden];
  if (view?.span) extra.span = view.span;
  if (view && view.trail) return { trail: Number(view.trail), ...extra };
  return { start: view?.start || DEFAULT_VIEW.start, end: view?.end || DEFAULT_VIEW.end, ...extra };
}

/** Only the time range of a view. */
export function rangeOf(view) {
  view = normalise(view);
  return view.trail ? { trail: view.trail } : { start: view.start, end: view.end };
}

export function sameView(a, b) {
  a = normalise(a);
  b = normalise(b);
  return a.trail === b.trail && a.start === b.start && a.end === b.end && a.step === b.step;
}

/** The render query parameters for a view. */
export function rangeParams(view) {
  view = normalise(view);
  const params = view.trail ? { trail: String(view.trail) } : { start: view.start, end: view.end };
  if (view.step) params.step = String(view.step);
  return params;
}

/** Epoch seconds for a time spec, relative ones against now; NaN when not understood. */
export function resolve(spec, now = Date.now() / 1000) {
  const text = String(spec).trim().toLowerCase();
  if (text === "now" || text === "") return now;
  if (/^\d{1,11}$/.test(text)) return Number(text);
  const rel = /^(?:now)?([+-])(\d+)([a-z]+)$/.exec(text);
  if (rel && UNITS[rel[3]]) return now + (rel[1] === "-" ? -1 : 1) * Number(rel[2]) * UNITS[rel[3]];
  const parsed = Date.parse(spec);
  return Number.isNaN(parsed) ? NaN : parsed / 1000;
}

export function bounds(view, now = Date.now() / 1000) {
  view = normalise(view);
  if (view.trail) return [now - view.trail * 3600, now];
  const end = resolve(view.end, now);
  return [resolve(view.start, end), end];
}

// The zone every time of the page is shown and entered in (an IANA name): the browser's
// unless the user chose another (prefs.js); graphs are drawn in it too (renderUrl's tz).
let viewZone = browserZone();

export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function setZone(zone) {
  viewZone = zone || browserZone();
}

export function currentZone() {
  return viewZone;
}

const formatters = new Map();

/** The wall-clock fields of `epoch` (seconds) in `zone`. */
export function wallClock(epoch, zone = viewZone) {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(
    format.formatToParts(new Date(epoch * 1000)).map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** Seconds `zone` is ahead of UTC at `epoch`. */
export function zoneOffset(epoch, zone = viewZone) {
  const w = wallClock(epoch, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) / 1000;
  return asUtc - Math.floor(epoch);
}

/** "YYYY-MM-DD HH:MM" of `epoch` in `zone`. */
export function stamp(epoch, zone = viewZone) {
  const w = wallClock(epoch, zone);
  const pad = (n) => String(n).padStart(2, "0");
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}`;
}

export function describe(view) {
  view = normalise(view);
  if (view.trail) return `trail: last ${view.trail} h, follows now`;
  const preset = PRESETS.find(([, start]) => start === view.start);
  if (preset && view.end === "now") return `last ${preset[0]}`;
  const back = view.end === "now" && view.start.startsWith("-") ? parseOffset(view.start) : null;
  if (back) return `last ${formatOffset(back).slice(1)}`;
  const [start, end] = bounds(view);
  if (Number.isNaN(start) || Number.isNaN(end)) return `${view.start} → ${view.end}`;
  return `${stamp(start)} → ${stamp(end)}`;
}

/** Value for an <input type="datetime-local"> from epoch seconds, in `zone`. */
export function toLocalInput(epoch, zone = viewZone) {
  return stamp(epoch, zone).replace(" ", "T");
}

/** Epoch seconds (text) of a datetime-local value read as a wall clock in `zone`. */
export function fromLocalInput(text, zone = viewZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text || "");
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v || 0));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
  // the offset at the guess, then at the result (a guess across a DST change)
  let epoch = wall - zoneOffset(wall, zone);
  epoch = wall - zoneOffset(epoch, zone);
  return String(Math.round(epoch));
}

/**
 * The view a drag from pixel `a` to pixel `b` (a <= b, relative to the image) zooms to, over a
 * plot `area` ({left, width} in pixels, {start, end} in epoch seconds); pixels outside the plot
 * count as its edges. Null when the range would be under a minute.
 */
export function zoomView(area, a, b) {
  const at = (px) =>
    area.start +
    (Math.min(Math.max(px - area.left, 0), area.width) / area.width) * (area.end - area.start);
  const start = Math.round(at(a));
  const end = Math.round(at(b));
  return end - start >= MIN_ZOOM_S ? { start: String(start), end: String(end) } : null;
}

/** Seconds of an offset into the past such as "-2w", "1mon", "36h" (sign optional); null
 * when not understood. */
export function parseOffset(text) {
  const m = /^\s*-?\s*(\d+)\s*([a-z]+)\s*$/i.exec(String(text || ""));
  if (!m || !UNITS[m[2].toLowerCase()]) return null;
  const seconds = Number(m[1]) * UNITS[m[2].toLowerCase()];
  return seconds > 0 ? seconds : null;
}

/** The shortest offset text for `seconds` ("-2w", "-1mon", "-90m"). */
export function formatOffset(seconds) {
  if (!seconds) return "";
  for (const unit of ["y", "mon", "w", "d", "h", "m"]) {
    if (seconds % UNITS[unit] === 0) return `-${seconds / UNITS[unit]}${unit}`;
  }
  return `-${seconds}s`;
}

/** The view twice as long around the same middle, never ending after now. */
export function zoomOutView(view, now = Date.now() / 1000) {
  const [start, end] = bounds(view, now);
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  const span = Math.max(end - start, MIN_ZOOM_S);
  const newEnd = Math.min(now, end + span / 2);
  const newStart = newEnd - 2 * span;
  if (newEnd >= now - 1) return { start: `-${Math.round(2 * span)}s`, end: "now" };
  return { start: String(Math.round(newStart)), end: String(Math.round(newEnd)) };
}
