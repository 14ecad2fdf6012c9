// One graph on a page: the image from /render, its time controls, drag-to-zoom, links.

import { el } from "./api.js";
import { buildTools, fileName, syncCompare } from "./cardtools.js";
import { applyVariables } from "./variables.js";
import {
  drawnLines,
  restartDefinition,
  restartSeries,
  toggleHidden,
  visibleDefinition,
} from "./legend.js";
import {
  bounds,
  currentZone,
  describe,
  fromLocalInput,
  normalise,
  rangeParams,
  sameView,
  stamp,
  toLocalInput,
  zoomOutView,
  zoomView,
} from "./timerange.js";

const HEIGHT = 220;
export { COMPARE } from "./cardtools.js";
// Plot area inside a --full-size-mode rrdtool image when the server sends no geometry.
const FALLBACK = { left: 66, right: 24 };

// The theme graphs are drawn in (render.style.THEMES; "" is rrdtool's own look).
let theme = "";

export function setTheme(name) {
  theme = name || "";
}

// The page's dashboard variables ({customer: "acme"}), put into every definition drawn.
let variables = {};

// The slowest requests page (set by the tracelog dashboard; "" elsewhere: no link).
let slowestBase = "";

export function setSlowestBase(url) {
  slowestBase = url || "";
}

/** The tracelog instances a definition draws, as the slowest requests' query: one
 * instance as {instance}, several of one customer as {customer} (and {host} when they
 * share one), a customer's pool file (pool/CUSTOMER) as {customer}; null when it draws
 * no tracelog instance or pool, or those of several customers. */
export function slowestScope(def) {
  const stems = new Set();
  const pools = new Set();
  for (const s of def.series || []) {
    const path = s.path || "";
    if (path.includes("$")) continue;
    if (path.startsWith("pool/") && !path.slice(5).includes("/")) pools.add(path.slice(5));
    if (!path.startsWith("tracelog/")) continue;
    const stem = path.slice("tracelog/".length);
    if (stem.split("__").length === 3) stems.add(stem);
  }
  if (!stems.size && !pools.size) return null;
  if (stems.size === 1 && !pools.size) return { instance: [...stems][0] };
  const parts = [...stems].map((stem) => stem.split("__"));
  const customers = new Set([...parts.map(([, customer]) => customer), ...pools]);
  if (customers.size !== 1) return null;
  const hosts = new Set(parts.map(([host]) => host));
  return hosts.size === 1 && !pools.size
    ? { customer: [...customers][0], host: [...hosts][0] }
    : { customer: [...customers][0] };
}

/** The slowest requests page of `def` for the minute holding `time` (epoch s), or for the
 * whole minutes under a pixel `pixel` seconds wide around it; null without a page or scope. */
export function slowestUrl(base, def, time, zone, pixel = 0) {
  const scope = base ? slowestScope(def) : null;
  if (!scope || time == null) return null;
  const start = Math.floor((time - pixel / 2) / 60) * 60;
  const end = Math.max(start + 60, Math.ceil((time + pixel / 2) / 60) * 60);
  const params = new URLSearchParams({ ...scope, start: String(start), end: String(end) });
  if (zone) params.set("tz", zone);
  return `${base}?${params}`;
}

export function setVariables(values) {
  variables = { ...values };
}

/** The render URL of `graph` ({definition, view}); with `palette`, its hidden lines left
 * out; with `legend: false` or `title: false`, no legend or title drawn in the image (the
 * card shows its own). */
export function renderUrl(
  base,
  graph,
  { format = "png", width, height, palette, legend, title = true } = {},
) {
  let def = palette ? visibleDefinition(graph.definition, graph.view?.hidden, palette) : null;
  if (Object.keys(variables).length) def = applyVariables(def || graph.definition, variables);
  if (!title && graph.definition.title) {
    def = { ...(def || graph.definition) };
    delete def.title;
  }
  const params = new URLSearchParams({
    graph: JSON.stringify(def || graph.definition),
    ...rangeParams(graph.view),
  });
  if (format !== "png") params.set("format", format);
  if (width) params.set("width", String(width));
  if (height) params.set("height", String(height));
  params.set("tz", currentZone());
  if (theme && (format === "png" || format === "svg")) params.set("theme", theme);
  if (legend === false && (format === "png" || format === "svg")) params.set("legend", "false");
  return `${base}?${params}`;
}

export class GraphCard {
  /**
   * graph: {id, definition, view, clone_url}; hooks: onChange(card), onApplyAll(view),
   * onRemove(card), onMove(card, delta), onClone(card), onEdit(card) — each optional.
   */
  constructor(graph, { renderBase, editable, palette, hooks = {} }) {
    this.graph = graph;
    this.graph.view = normalise(graph.view);
    this.renderBase = renderBase;
    this.editable = editable;
    this.palette = palette;
    this.hooks = hooks;
    this.objectUrl = null;
    this.loading = null;
    this.geometry = null;
    this.el = this.build();
  }

  get title() {
    return applyVariables(this.graph.definition, variables).title || "untitled graph";
  }

  build() {
    const h = this.hooks;
    const icon = (text, label, onclick, extra = "") =>
      el("button", {
        type: "button",
        class: `icon ${extra}`.trim(),
        title: label,
        "aria-label": label,
        text,
        onclick,
      });
    const actions = [icon("↻", "Reload graph", () => this.load({ fresh: true }), "reload")];
    if (this.editable && h.onEdit)
      actions.push(
        el("button", {
          type: "button",
          class: "ghost small",
          text: "Edit",
          onclick: () => h.onEdit(this),
        }),
      );
    if (!this.editable && h.onClone && this.graph.clone_url)
      actions.push(
        el("button", {
          type: "button",
          class: "primary small clone",
          text: "Clone to my page",
          onclick: () => h.onClone(this),
        }),
      );
    this.toolsButton = icon("⋯", "More controls", () => this.toggleTools(), "more");
    this.toolsButton.setAttribute("aria-expanded", "false");
    actions.push(this.toolsButton);
    if (this.editable) actions.push(icon("✕", "Remove graph", () => h.onRemove?.(this), "danger"));
    this.titleEl = el("h3", { text: this.title });
    this.rangeText = el("span", { class: "range" });
    this.tools = buildTools(this);
    this.img = el("img", { alt: `graph: ${this.title}`, draggable: "false" });
    this.selection = el("div", { class: "selection", hidden: true });
    this.cursor = el("div", { class: "cursor", hidden: true });
    this.readout = el("div", { class: "readout", hidden: true, role: "status" });
    this.message = el("p", { class: "graph-error", hidden: true, role: "alert" });
    this.legendEl = el("div", {
      class: "legend",
      role: "group",
      "aria-label": "Lines of the graph",
    });
    this.plot = el(
      "div",
      { class: "plot", title: "Drag to zoom in, double-click to zoom out" },
      this.img,
      this.selection,
      this.cursor,
      this.readout,
    );
    this.plot.addEventListener("dblclick", () => this.zoomOut());
    this.bindZoom();
    this.bindCursor();
    const card = el(
      "article",
      { class: "card", "data-graph-id": this.graph.id ?? "" },
      el("header", {}, this.titleEl, this.rangeText, el("div", { class: "actions" }, actions)),
      this.tools,
      this.plot,
      this.legendEl,
      this.message,
    );
    this.el = card;
    this.syncControls();
    return card;
  }

  toggleTools(open = this.tools.hidden) {
    this.tools.hidden = !open;
    this.toolsButton.setAttribute("aria-expanded", String(open));
  }

  /** Twice the time range around its middle (a history step, like any range change). */
  zoomOut() {
    const view = zoomOutView(this.graph.view);
    if (view) this.setView(view);
  }

  /** The card's width in the page's grid or its height; saved with its view. */
  setLayout({ span, height }) {
    const view = { ...this.graph.view };
    if (span !== undefined) {
      if (span && span !== "third") view.span = span;
      else delete view.span;
    }
    if (height !== undefined) {
      if (height) view.height = height;
      else delete view.height;
    }
    this.graph.view = normalise(view);
    this.syncControls();
    requestAnimationFrame(() => this.load());
    this.hooks.onChange?.(this);
  }

  syncControls() {
    const view = this.graph.view;
    for (const button of this.presetButtons) {
      button.setAttribute(
        "aria-pressed",
        String(!view.trail && view.end === "now" && button.dataset.start === view.start),
      );
    }
    this.trailButton.setAttribute("aria-pressed", String(Boolean(view.trail)));
    // a field being typed in keeps what is typed: a redraw (this card's or the page's)
    // must not write the old value under the cursor
    const typing = document.activeElement;
    if (view.trail && typing !== this.trailInput) this.trailInput.value = String(view.trail);
    const [start, end] = bounds(view);
    if (!Number.isNaN(start) && !Number.isNaN(end)) {
      if (typing !== this.fromInput) this.fromInput.value = toLocalInput(start);
      if (typing !== this.toInput) this.toInput.value = toLocalInput(end);
    }
    this.rangeText.textContent = describe(view);
    if (this.graph.id != null && this.hooks.pageUrl) {
      const params = new URLSearchParams({ graph: String(this.graph.id), ...rangeParams(view) });
      this.shareLink.href = `${this.hooks.pageUrl}?${params}`;
      this.shareLink.hidden = false;
    } else {
      this.shareLink.hidden = true;
    }
    this.titleEl.textContent = this.title;
    this.img.alt = `graph: ${this.title}`;
    const def = this.graph.definition;
    syncCompare(this, def.compare);
    this.valuesCheck.checked = Boolean(def.legend_values);
    this.spanSelect.value = view.span || "third";
    this.heightSelect.value = String(view.height || "");
    if (this.heightSelect.value !== String(view.height || "")) this.heightSelect.value = "";
    this.el?.setAttribute("data-span", view.span || "third");
    this.syncLegend();
    this.el?.setAttribute("data-graph-id", this.graph.id ?? "");
  }

  /** One button per line: its colour and legend, pressed while the line is drawn. */
  syncLegend() {
    const def = this.graph.definition;
    const hidden = new Set(this.graph.view.hidden || []);
    const lines = drawnLines(def, this.palette).filter((l) => l.type !== "HRULE");
    this.legendEl.replaceChildren(
      ...lines.map((line, i) => {
        const swatch = el("span", { class: `swatch ${(line.type || "line").toLowerCase()}` });
        swatch.style.background = (line.color || this.palette[i % this.palette.length]).slice(0, 7);
        return el(
          "button",
          {
            type: "button",
            class: "entry",
            "aria-pressed": String(!hidden.has(line.value)),
            title: "Click: hide or show this line; Shift+click: show only this line",
            onclick: (ev) => this.toggleLine(line.value, ev.shiftKey || ev.ctrlKey || ev.metaKey),
          },
          swatch,
          line.legend || line.value,
        );
      }),
    );
  }

  /** Hide or show a line (or show only it), drawn again and kept in the graph's view. */
  toggleLine(value, isolate) {
    const lines = drawnLines(this.graph.definition, this.palette).filter((l) => l.type !== "HRULE");
    const hidden = toggleHidden(lines, this.graph.view.hidden, value, { isolate });
    const view = { ...this.graph.view, hidden };
    if (!hidden.length) delete view.hidden;
    this.graph.view = normalise(view);
    this.syncControls();
    this.load();
    this.hooks.onChange?.(this);
  }

  /** How this card asks for its images and data: hidden lines out, its own legend. */
  urlOptions(extra = {}) {
    const def = this.graph.definition;
    const legend = Boolean(def.legend_values || def.compare || def.gprints?.length);
    return { palette: this.palette, legend, ...extra };
  }

  applyCustom() {
    const start = fromLocalInput(this.fromInput.value);
    const end = fromLocalInput(this.toInput.value);
    if (!start || !end || Number(start) >= Number(end)) {
      this.showMessage("Pick a start before the end.");
      return;
    }
    this.setView({ start, end });
  }

  /** Show `view`'s range ({start, end} or {trail}); step and height stay unless given. */
  setView(view, { quiet = false } = {}) {
    const before = this.graph.view || {};
    const { step, height, hidden, span } = before;
    this.graph.view = normalise({ step, height, hidden, span, ...view });
    this.syncControls();
    this.load();
    if (quiet) return;
    this.hooks.onChange?.(this);
    // a new range is a step of the browser's history (Back goes back to the last one)
    if (!sameView({ ...before, step: null }, { ...this.graph.view, step: null }))
      this.hooks.onNavigate?.(this);
  }

  /** A per-graph drawing option of the definition (compare, legend_values); saved. */
  setOption(key, value) {
    const def = this.graph.definition;
    if (value) def[key] = value;
    else delete def[key];
    this.setDefinition(def);
    this.hooks.onChange?.(this);
  }

  setDefinition(definition) {
    this.graph.definition = definition;
    this.syncControls();
    this.load();
  }

  size() {
    const width = Math.max(320, Math.min(2000, Math.round(this.plot.clientWidth || 640)));
    return { width, height: this.graph.view.height || imageHeight(this.graph.definition) };
  }

  /** Export links: what is shown (hidden lines out), at the export size chosen. */
  syncLinks() {
    const size = this.shownSize || this.size();
    const [w, h] = (this.exportSize.value || "").split("x").map(Number);
    const image = w ? { width: w, height: h } : size;
    const base = { ...this.urlOptions(image), legend: true };
    this.pngLink.href = renderUrl(this.renderBase, this.graph, base);
    this.svgLink.href = renderUrl(this.renderBase, this.graph, { ...base, format: "svg" });
    this.csvLink.href = renderUrl(this.renderBase, this.graph, this.urlOptions({ format: "csv" }));
    this.jsonLink.href = renderUrl(
      this.renderBase,
      this.graph,
      this.urlOptions({ format: "json" }),
    );
    this.csvLink.download = fileName(this.title, "csv");
  }

  showMessage(text) {
    this.message.textContent = text;
    this.message.hidden = !text;
  }

  /** Fetch the image (revalidating when `fresh`), so errors and geometry headers are readable. */
  async load({ fresh = false } = {}) {
    const size = this.size();
    this.shownSize = size;
    this.syncLinks();
    if (!(this.graph.definition.series || []).length) {
      this.img.removeAttribute("src");
      this.plot.classList.add("blank");
      this.showMessage("No series yet: add one to draw this graph.");
      return;
    }
    this.plot.classList.remove("blank");
    // the card shows the title above the image and its own legend under it
    const url = renderUrl(this.renderBase, this.graph, this.urlOptions({ ...size, title: false }));
    this.data = null;
    this.restarts = null;
    this.loadedWidth = size.width;
    const token = {};
    this.loading = token;
    this.el?.classList.add("loading");
    try {
      const resp = await fetch(url, {
        cache: fresh ? "no-cache" : "default",
        credentials: "same-origin",
      });
      if (this.loading !== token) return;
      const type = resp.headers.get("Content-Type") || "";
      if (resp.status === 404) {
        // a series whose file is gone: say which, rather than show an error image
        this.img.removeAttribute("src");
        this.geometry = null;
        this.plot.classList.add("blank");
        const why = resp.headers.get("X-Graphmetrics-Error") || "a series file is missing";
        this.showMessage(
          `A series of this graph is missing: ${why}. Its file was removed or renamed; ` +
            "edit the graph to point the series elsewhere or remove it.",
        );
      } else if (type.startsWith("image/")) {
        const blob = await resp.blob();
        if (this.loading !== token) return;
        if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
        this.objectUrl = URL.createObjectURL(blob);
        this.img.src = this.objectUrl;
        this.geometry = readGeometry(resp.headers);
        this.showMessage(
          resp.ok ? "" : `The graph cannot be drawn (${resp.status}); see the image.`,
        );
      } else {
        const text = await resp.text();
        let message = text;
        try {
          message = JSON.parse(text).error ?? text;
        } catch {
          /* plain text */
        }
        this.showMessage(`The graph cannot be drawn: ${message}`);
      }
      this.el?.setAttribute("data-loaded", String(Date.now()));
    } catch (err) {
      if (this.loading === token) this.showMessage(`The graph cannot be loaded: ${err.message}`);
    } finally {
      if (this.loading === token) this.el?.classList.remove("loading");
    }
  }

  /** Plot area in displayed pixels and its time span. */
  plotArea() {
    const scale = this.img.clientWidth / (this.img.naturalWidth || this.img.clientWidth || 1);
    const g = this.geometry;
    const natural = this.img.naturalWidth || this.img.clientWidth;
    const left = (g ? g.left : FALLBACK.left) * scale;
    const width = (g ? g.width : natural - FALLBACK.left - FALLBACK.right) * scale;
    const top = (g && g.top != null ? g.top : 0) * scale;
    const height = g && g.height ? g.height * scale : this.img.clientHeight;
    const [start, end] = g && g.start ? [g.start, g.end] : bounds(this.graph.view);
    return { left, width, top, height, start, end };
  }

  /** The values of the drawn lines, from the render API's JSON for the same definition. */
  values() {
    if (!this.data) {
      const url = renderUrl(this.renderBase, this.graph, this.urlOptions({ format: "json" }));
      this.data = fetch(url, { credentials: "same-origin" })
        .then((resp) => (resp.ok ? resp.json() : null))
        .catch(() => null);
    }
    return this.data;
  }

  /** Mark `time` (epoch s; null hides the mark) with a vertical line; `readout` adds the values. */
  async mark(time, { readout = false } = {}) {
    this.markedTime = time;
    const area = this.img.src ? this.plotArea() : null;
    if (time == null || !area || time < area.start || time > area.end) {
      this.cursor.hidden = true;
      this.readout.hidden = true;
      this.el?.removeAttribute("data-cursor-time");
      return;
    }
    const x = area.left + ((time - area.start) / (area.end - area.start)) * area.width;
    Object.assign(this.cursor.style, {
      left: `${x}px`,
      top: `${area.top}px`,
      height: `${area.height}px`,
    });
    this.cursor.hidden = false;
    this.el?.setAttribute("data-cursor-time", String(Math.round(time)));
    if (!readout) {
      this.readout.hidden = true;
      return;
    }
    const data = await this.values();
    if (this.markedTime !== time) return;
    const row = nearestRow(data, time);
    if (!row) {
      this.readout.hidden = true;
      return;
    }
    const def = visibleDefinition(this.graph.definition, this.graph.view.hidden, this.palette);
    const colors = lineColors(def, this.palette);
    const restarted = await this.restartedAt(row[0], data.columns, row);
    if (this.markedTime !== time) return;
    const slowHint = this.slowestAt(time)
      ? el("div", { class: "slowest-hint", text: "Shift+click: slowest requests here" })
      : "";
    this.readout.replaceChildren(
      el("div", { class: "time", text: stamp(row[0]) }),
      ...data.columns.map((name, i) => {
        const swatch = el("span", { class: "swatch" });
        swatch.style.background = colors[i] || "#999";
        return el(
          "div",
          { class: "value" },
          swatch,
          el("span", { class: "name", text: name }),
          el("span", { class: "number", text: formatValue(row[i + 1]) }),
        );
      }),
      restarted.length
        ? el("div", { class: "restarted", text: `restarted: ${restarted.join(", ")}` })
        : "",
      slowHint,
    );
    const flip = x > area.left + area.width / 2;
    Object.assign(this.readout.style, {
      top: `${area.top + 4}px`,
      left: flip ? "" : `${x + 10}px`,
      right: flip ? `${this.plot.clientWidth - x + 10}px` : "",
    });
    this.readout.hidden = false;
  }

  /** The instances that restarted in the row ending at `time`, when the row has a restart. */
  async restartedAt(time, columns, row) {
    const i = columns.indexOf("restart");
    if (i < 0 || !row[i + 1]) return [];
    const series = restartSeries(applyVariables(this.graph.definition, variables));
    if (!series.length) return [];
    if (!this.restarts) {
      const graph = { definition: restartDefinition(series), view: this.graph.view };
      const url = renderUrl(this.renderBase, graph, { format: "json" });
      this.restarts = fetch(url, { credentials: "same-origin" })
        .then((resp) => (resp.ok ? resp.json() : null))
        .catch(() => null);
    }
    const data = await this.restarts;
    const near = (data?.step || 60) / 2;
    const at = data?.rows?.find((r) => Math.abs(r[0] - time) <= near);
    return at ? data.columns.filter((_, k) => at[k + 1]) : [];
  }

  /** The slowest requests page of the minutes under the pixel at `time`, or null. */
  slowestAt(time) {
    if (time == null || !this.img.src) return null;
    const def = applyVariables(this.graph.definition, variables);
    const area = this.plotArea();
    const pixel = area.width > 0 ? (area.end - area.start) / area.width : 0;
    return slowestUrl(slowestBase, def, time, currentZone(), pixel);
  }

  /** The time (epoch s) under the pointer of `ev`, or null outside the plot. */
  timeAt(ev) {
    if (!this.img.src) return null;
    const area = this.plotArea();
    const x = ev.clientX - this.img.getBoundingClientRect().left;
    if (x < area.left || x > area.left + area.width) return null;
    return area.start + ((x - area.left) / area.width) * (area.end - area.start);
  }

  bindCursor() {
    const hover = (time) =>
      this.hooks.onHover ? this.hooks.onHover(this, time) : this.mark(time, { readout: true });
    // Shift+click opens the slowest requests of the minute under the pointer
    this.plot.addEventListener("click", (ev) => {
      if (!ev.shiftKey) return;
      const url = this.slowestAt(this.timeAt(ev));
      if (!url) return;
      ev.preventDefault();
      window.open(url, "_blank", "noopener");
    });
    this.plot.addEventListener("pointermove", (ev) => {
      if (!this.img.src) return;
      const area = this.plotArea();
      const x = ev.clientX - this.img.getBoundingClientRect().left;
      if (x < area.left || x > area.left + area.width) {
        hover(null);
        return;
      }
      hover(area.start + ((x - area.left) / area.width) * (area.end - area.start));
    });
    this.plot.addEventListener("pointerleave", () => hover(null));
  }

  bindZoom() {
    let origin = null;
    const x = (ev) => ev.clientX - this.img.getBoundingClientRect().left;
    this.plot.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0 || !this.img.src) return;
      origin = x(ev);
      this.plot.setPointerCapture(ev.pointerId);
      Object.assign(this.selection.style, { left: `${origin}px`, width: "0px" });
      this.selection.hidden = false;
    });
    this.plot.addEventListener("pointermove", (ev) => {
      if (origin === null) return;
      const now = x(ev);
      Object.assign(this.selection.style, {
        left: `${Math.min(origin, now)}px`,
        width: `${Math.abs(now - origin)}px`,
      });
    });
    const finish = (ev) => {
      if (origin === null) return;
      const a = Math.min(origin, x(ev));
      const b = Math.max(origin, x(ev));
      origin = null;
      this.selection.hidden = true;
      if (b - a < 5) return;
      const view = zoomView(this.plotArea(), a, b);
      if (view) this.setView(view);
    };
    this.plot.addEventListener("pointerup", finish);
    this.plot.addEventListener("pointercancel", () => {
      origin = null;
      this.selection.hidden = true;
    });
  }

  destroy() {
    this.loading = null;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.el.remove();
  }
}

/** Taller images for longer legends (a row of values per line, the past's legends), so
 * the plot keeps its height. */
function imageHeight(def) {
  const drawn = (def.lines?.length ? def.lines : def.series || []).filter(
    (l) => !l.type || l.type === "LINE" || l.type === "AREA",
  ).length;
  const rows = (def.legend_values ? drawn : 0) + (def.compare ? Math.ceil(drawn / 2) : 0);
  return Math.min(1200, HEIGHT + 16 * rows);
}

function readGeometry(headers) {
  const num = (name) => Number(headers.get(name));
  const left = num("X-Graph-Left");
  const width = num("X-Graph-Width");
  if (!left || !width) return null;
  return {
    left,
    width,
    top: num("X-Graph-Top"),
    height: num("X-Graph-Height") || null,
    start: num("X-Graph-Start") || null,
    end: num("X-Graph-End") || null,
  };
}

function nearestRow(data, time) {
  if (!data || !data.rows || !data.rows.length) return null;
  // row timestamps are the ends of their steps: the row covering `time` ends at or after it
  const half = (data.step || 0) / 2;
  let best = data.rows[0];
  for (const row of data.rows) {
    if (Math.abs(row[0] - half - time) < Math.abs(best[0] - half - time)) best = row;
  }
  return best;
}

/** Colours of the render API's columns: LINE/AREA/TICK lines, then the past's copies. */
export function lineColors(def, palette) {
  const lines = def.lines?.length
    ? def.lines
    : def.series.map((s, i) => ({ value: s.name, color: palette[i % palette.length] }));
  const colors = lines.map((l, i) => ({
    type: l.type || "LINE",
    color: (l.color || palette[i % palette.length]).slice(0, 7),
  }));
  const drawn = colors.filter((c) => c.type !== "HRULE");
  const past = def.compare ? drawn.filter((c) => c.type === "LINE" || c.type === "AREA") : [];
  return [...drawn, ...past].map((c) => c.color);
}

function formatValue(value) {
  if (value == null) return "–";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(3);
  return String(Math.round(value * 1000) / 1000);
}
