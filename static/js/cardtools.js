// A graph card's tools, folded behind its "⋯" button so that a card is a title, a plot and
// a legend: time range, comparison, size, order, export. Builds the elements onto `card`.

import { el } from "./api.js";
import { PRESETS, formatOffset, parseOffset } from "./timerange.js";

// Per-graph "compare with the past" choices: seconds earlier (any other: the Offset box).
export const COMPARE = [
  ["", "No comparison"],
  ["86400", "vs 1 day ago"],
  ["604800", "vs 1 week ago"],
];
export const SPANS = [
  ["third", "⅓ width"],
  ["half", "½ width"],
  ["full", "Full width"],
];
export const HEIGHTS = [
  ["", "Auto height"],
  ["160", "Short"],
  ["260", "Medium"],
  ["400", "Tall"],
];
// Exported image sizes: "" is the size shown.
export const EXPORT_SIZES = [
  ["", "as shown"],
  ["800x300", "800×300"],
  ["1200x450", "1200×450"],
  ["1920x600", "1920×600"],
];

function choice(label, options, onchange, attrs = {}) {
  return el(
    "select",
    { "aria-label": label, onchange: (ev) => onchange(ev.target.value), ...attrs },
    options.map(([value, text]) => el("option", { value, text })),
  );
}

/** The tools panel of `card` (hidden until its toggle is pressed). */
export function buildTools(card) {
  const h = card.hooks;
  card.compareSelect = choice("Compare with the past", COMPARE, (value) =>
    card.setOption("compare", Number(value) || null),
  );
  card.compareSelect.classList.add("compare");
  card.offsetInput = el("input", {
    type: "text",
    size: 6,
    placeholder: "-2w",
    "aria-label": "Compare offset",
    title: "Compare with any time before: -2w, -1mon, 36h …",
    onchange: (ev) => {
      const seconds = parseOffset(ev.target.value);
      ev.target.setCustomValidity(
        ev.target.value && seconds === null ? "an offset such as -2w, -1mon, 36h" : "",
      );
      ev.target.reportValidity();
      if (seconds !== null || !ev.target.value) card.setOption("compare", seconds);
    },
  });
  card.valuesCheck = el("input", {
    type: "checkbox",
    class: "legend-values",
    onchange: (ev) => card.setOption("legend_values", ev.target.checked),
  });
  card.presetButtons = PRESETS.map(([label, start]) =>
    el("button", {
      type: "button",
      class: "preset",
      "data-start": start,
      text: label,
      onclick: () => card.setView({ start, end: "now" }),
    }),
  );
  card.trailInput = el("input", {
    type: "number",
    min: "1",
    max: "9600",
    value: "6",
    "aria-label": "Trail hours",
    class: "hours",
  });
  card.trailButton = el("button", {
    type: "button",
    class: "preset trail",
    text: "Trail",
    title: "Show the last N hours and follow now",
    onclick: () => card.setView({ trail: Math.max(1, Number(card.trailInput.value) || 6) }),
  });
  card.fromInput = el("input", { type: "datetime-local", "aria-label": "From" });
  card.toInput = el("input", { type: "datetime-local", "aria-label": "To" });
  const custom = el(
    "form",
    {
      class: "custom",
      onsubmit: (ev) => {
        ev.preventDefault();
        card.applyCustom();
      },
    },
    card.fromInput,
    el("span", { text: "→" }),
    card.toInput,
    el("button", { type: "submit", class: "ghost", text: "Go" }),
  );
  card.spanSelect = choice("Graph width", SPANS, (span) => card.setLayout({ span }));
  card.heightSelect = choice("Graph height", HEIGHTS, (height) =>
    card.setLayout({ height: Number(height) || null }),
  );
  card.exportSize = choice("Export size", EXPORT_SIZES, () => card.syncLinks());
  card.pngLink = el("a", { target: "_blank", rel: "noopener", text: "PNG" });
  card.svgLink = el("a", { target: "_blank", rel: "noopener", text: "SVG" });
  card.csvLink = el("a", { text: "CSV" });
  card.jsonLink = el("a", { target: "_blank", rel: "noopener", text: "JSON" });
  card.shareLink = el("a", {
    class: "share",
    text: "Link",
    title: "Link to this graph with this time range",
  });
  const small = (text, title, onclick, extra = {}) =>
    el("button", { type: "button", class: "ghost small", text, title, onclick, ...extra });
  const order = card.editable
    ? [
        small("↑", "Move up", () => h.onMove?.(card, -1), { "aria-label": "Move up" }),
        small("↓", "Move down", () => h.onMove?.(card, 1), { "aria-label": "Move down" }),
      ]
    : [];
  return el(
    "div",
    { class: "tools", hidden: true },
    el(
      "div",
      { class: "row" },
      el(
        "div",
        { class: "presets", role: "group", "aria-label": "Time range" },
        card.presetButtons,
        card.trailInput,
        card.trailButton,
      ),
      small("Zoom out", "Twice the time range, around its middle (or double-click the graph)", () =>
        card.zoomOut(),
      ),
      custom,
    ),
    el(
      "div",
      { class: "row options" },
      card.compareSelect,
      card.offsetInput,
      el(
        "label",
        { title: "min, avg, max and last value of each line in the legend" },
        card.valuesCheck,
        "Legend values",
      ),
      card.spanSelect,
      card.heightSelect,
      ...order,
    ),
    el(
      "div",
      { class: "row links" },
      small(
        "Apply this range to all graphs",
        "Copy this graph's time range, step, y limits and log scale to every graph of the page",
        () => h.onApplyAll?.(card.graph.view, card),
        { class: "ghost small apply-all" },
      ),
      el("span", { class: "spacer" }),
      card.shareLink,
      card.pngLink,
      card.svgLink,
      card.csvLink,
      card.jsonLink,
      card.exportSize,
    ),
  );
}

/** The compare controls showing `seconds` (a choice of the list, or the offset box). */
export function syncCompare(card, seconds) {
  const value = seconds ? String(seconds) : "";
  const listed = COMPARE.some(([v]) => v === value);
  card.compareSelect.value = listed ? value : "";
  if (document.activeElement !== card.offsetInput)
    card.offsetInput.value = listed ? "" : formatOffset(seconds);
}

/** A file name for the graph's exports: its title, in letters, digits, '-' and '_'. */
export function fileName(title, ext) {
  const base = (title || "graph")
    .normalize("NFKD")
    .replace(/[^\w-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 80);
  return `${base || "graph"}.${ext}`;
}
