// Settings of a tracelog dashboard graph: y limits, log scale, height, step, which data
// sources an instance graph draws, and which instance it shows (changed in place).

import { api, el } from "./api.js";
import { drawnLines } from "./legend.js";
import { followCustomer } from "./variables.js";

const STEPS = [
  ["", "auto"],
  ["60", "1 min"],
  ["300", "5 min"],
  ["3600", "1 h"],
  ["86400", "1 day"],
];
const REDRAW_MS = 400;

/** The tracelog instance an instance graph shows ("tracelog/STEM" for every series), or null. */
export function instanceOf(def) {
  const paths = new Set((def.series || []).map((s) => s.path));
  if (paths.size !== 1) return null;
  const [path] = paths;
  return path.startsWith("tracelog/") && path.split("__").length === 3 && !path.includes("$")
    ? path.slice("tracelog/".length)
    : null;
}

/** How a graph writes its numbers: unit, decimals, SI prefixes (k, M, m, u). `graph` is
 * the definition, or a function giving it at each edit (when the definition object may be
 * replaced while the fields are shown). */
export function formatFields(graph, onChange) {
  const current = typeof graph === "function" ? graph : () => graph;
  const def = current();
  return [
    el(
      "label",
      { title: "Written after each legend value, e.g. req/min" },
      "Unit",
      el("input", {
        type: "text",
        size: 7,
        maxlength: "20",
        value: def.unit || "",
        oninput: (ev) => {
          current().unit = ev.target.value;
          onChange();
        },
      }),
    ),
    el(
      "label",
      {},
      "Decimals",
      el("input", {
        type: "number",
        min: "0",
        max: "6",
        class: "narrow",
        placeholder: "auto",
        value: def.decimals ?? "",
        oninput: (ev) => {
          current().decimals = ev.target.value === "" ? null : Number(ev.target.value);
          onChange();
        },
      }),
    ),
    el(
      "label",
      { title: "Write 1500 as 1.5 k and 0.002 as 2 m; off for counts" },
      "SI prefixes",
      el("input", {
        type: "checkbox",
        checked: def.si !== false,
        onchange: (ev) => {
          current().si = ev.target.checked;
          onChange();
        },
      }),
    ),
  ];
}

export class GraphSettings {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.card = null;
    this.timer = null;
    this.redraw = null;
    this.template = null;
    this.stems = null;
  }

  async open(card) {
    if (this.card !== card) this.flush();
    this.app.cards.forEach((c) => c.el.classList.toggle("selected", c === card));
    this.card = card;
    this.template = null;
    const stem = instanceOf(card.graph.definition);
    this.build();
    this.root.hidden = false;
    this.root.scrollIntoView({ behavior: "smooth", block: "nearest" });
    if (stem) {
      const [template, stems] = await Promise.all([this.instanceGraph(stem), this.instances()]);
      if (this.card !== card) return;
      this.template = template;
      this.stemList = stems;
      // only the rows that needed them: a field being typed in is never replaced
      this.buildInstanceRows();
    }
  }

  close() {
    this.flush();
    this.card?.el.classList.remove("selected");
    this.card = null;
    this.root.hidden = true;
  }

  flush() {
    clearTimeout(this.timer);
    const redraw = this.redraw;
    this.redraw = null;
    redraw?.();
  }

  /** The definition or view changed: redraw soon (the card edited now) and save. */
  changed() {
    clearTimeout(this.timer);
    const card = this.card;
    this.redraw = () => card.setView({ ...card.graph.view }, { quiet: true });
    this.timer = setTimeout(() => this.flush(), REDRAW_MS);
    this.app.store.changed();
  }

  async instanceGraph(stem) {
    const params = new URLSearchParams({ kind: "instance", instance: stem });
    return (await api(`${this.app.config.urls.tracelog_graph}?${params}`)).definition;
  }

  /** Every tracelog instance's stem, from the series search. */
  async instances() {
    if (this.stems) return this.stems;
    const stems = [];
    for (let page = 1; page <= 50; page += 1) {
      const data = await api(
        `${this.app.config.urls.series}?${new URLSearchParams({ q: "glob:tracelog/*", page: String(page) })}`,
      );
      stems.push(...data.series.map((s) => s.name.slice("tracelog/".length)));
      if (page * data.per_page >= data.total) break;
    }
    this.stems = stems;
    return stems;
  }

  /** A number of the definition (empty: null, as the render API takes it) or of the view
   * (empty: left out). `where` is "definition" or "view", looked up at each edit: a redraw
   * replaces the card's view object, and an edit must land in the one that is saved. */
  number(where, key, label, attrs = {}) {
    const current = () => this.card.graph[where];
    return el(
      "label",
      {},
      label,
      el("input", {
        type: "number",
        step: "any",
        class: "medium",
        value: current()[key] ?? "",
        ...attrs,
        oninput: (ev) => {
          const obj = current();
          const value = ev.target.value === "" ? null : Number(ev.target.value);
          if (value === null && where === "view") delete obj[key];
          else obj[key] = value;
          this.changed();
        },
      }),
    );
  }

  /** Checkboxes of the instance graph's lines: which data sources are drawn. */
  sources() {
    const card = this.card;
    const drawn = new Set(card.graph.definition.lines.map((l) => l.value));
    return el(
      "div",
      { class: "row", role: "group", "aria-label": "Data sources drawn" },
      el("span", { class: "hint", text: "Draw:" }),
      this.template.lines.map((line) =>
        el(
          "label",
          {},
          el("input", {
            type: "checkbox",
            checked: drawn.has(line.value),
            onchange: (ev) => {
              if (ev.target.checked) drawn.add(line.value);
              else drawn.delete(line.value);
              const def = card.graph.definition;
              const mine = new Map(def.lines.map((l) => [l.value, l]));
              def.lines = this.template.lines
                .filter((l) => drawn.has(l.value))
                .map((l) => mine.get(l.value) || { ...l });
              this.changed();
            },
          }),
          line.legend || line.value,
        ),
      ),
    );
  }

  /** A pool's (or any other graph's) lines: which are drawn, as its legend's clicks do. */
  shown() {
    const card = this.card;
    const hidden = new Set(card.graph.view.hidden || []);
    const lines = drawnLines(card.graph.definition, card.palette).filter((l) => l.type !== "HRULE");
    return el(
      "div",
      { class: "row", role: "group", "aria-label": "Data sources drawn" },
      el("span", { class: "hint", text: "Draw:" }),
      lines.map((line) =>
        el(
          "label",
          {},
          el("input", {
            type: "checkbox",
            checked: !hidden.has(line.value),
            onchange: () => {
              card.toggleLine(line.value, false);
              this.buildInstanceRows();
            },
          }),
          line.legend || line.value,
        ),
      ),
    );
  }

  /** Show another instance in this graph, keeping its settings. */
  async moveTo(stem) {
    const card = this.card;
    const template = await this.instanceGraph(stem);
    if (this.card !== card) return;
    const def = card.graph.definition;
    const drawn = new Set(def.lines.map((l) => l.value));
    // a title of the user's own stays; the instance's own title follows the instance
    if (!def.title || def.title === this.template?.title) def.title = template.title;
    def.series = template.series;
    def.lines = template.lines.filter((l) => drawn.has(l.value));
    this.template = template;
    if (this.titleInput && document.activeElement !== this.titleInput)
      this.titleInput.value = def.title || "";
    this.buildInstanceRows();
    this.changed();
  }

  /** This graph follows the page's $customer variable (its paths and title). */
  followCustomer() {
    const card = this.card;
    Object.assign(card.graph.definition, followCustomer(card.graph.definition));
    this.app.bindVariables().then(() => {
      card.syncControls();
      this.close();
    });
    this.changed();
  }

  build() {
    if (!this.card) return;
    const card = this.card;
    const def = card.graph.definition;
    const view = card.graph.view;
    // each handler edits the card's definition and view as they are at the edit: a redraw
    // replaces the view object, and an edit must land in the one that is saved
    const current = () => card.graph.definition;
    const stepSelect = el(
      "select",
      {
        "aria-label": "Step",
        onchange: (ev) => {
          const shown = card.graph.view;
          if (ev.target.value) shown.step = Number(ev.target.value);
          else delete shown.step;
          this.changed();
        },
      },
      STEPS.map(([value, label]) =>
        el("option", { value, text: label, selected: String(view.step || "") === value }),
      ),
    );
    this.titleInput = el("input", {
      type: "text",
      size: 30,
      value: def.title || "",
      oninput: (ev) => {
        current().title = ev.target.value;
        this.changed();
      },
    });
    this.instanceRows = el("div", { class: "instance-rows" });
    this.root.replaceChildren(
      el(
        "div",
        { class: "row" },
        el("h2", { text: "Graph settings" }),
        el("span", { class: "spacer" }),
        el("button", { type: "button", class: "ghost", text: "Done", onclick: () => this.close() }),
      ),
      el(
        "div",
        { class: "row" },
        el("label", {}, "Title", this.titleInput),
        this.number("definition", "ymin", "Y min"),
        this.number("definition", "ymax", "Y max"),
        el(
          "label",
          {},
          "Log scale",
          el("input", {
            type: "checkbox",
            checked: Boolean(def.logarithmic),
            onchange: (ev) => {
              current().logarithmic = ev.target.checked;
              this.changed();
            },
          }),
        ),
        this.number("view", "height", "Height", {
          min: "80",
          max: "2000",
          step: "10",
          placeholder: "auto",
        }),
        el("label", {}, "Step", stepSelect),
      ),
      el(
        "div",
        { class: "row", role: "group", "aria-label": "Numbers" },
        formatFields(current, () => this.changed()),
      ),
      this.instanceRows,
    );
    this.buildInstanceRows();
  }

  /** The rows that depend on what the graph draws: its lines, and for an instance graph
   * (once its template is known) the data sources and the instance shown. */
  buildInstanceRows() {
    if (!this.card || !this.instanceRows) return;
    const stem = instanceOf(this.card.graph.definition);
    const rows = [];
    if (!stem) rows.push(this.shown());
    if (stem && this.template) {
      rows.push(this.sources());
      const choose = el(
        "select",
        { "aria-label": "Instance", onchange: (ev) => this.moveTo(ev.target.value) },
        (this.stemList || [stem]).map((s) =>
          el("option", { value: s, text: s.split("__").join(" / "), selected: s === stem }),
        ),
      );
      rows.push(
        el(
          "div",
          { class: "row" },
          el("label", {}, "Instance", choose),
          el("button", {
            type: "button",
            class: "small ghost",
            text: "Follow $customer",
            title: "Show this host and instance of the customer picked for the whole page",
            onclick: () => this.followCustomer(),
          }),
        ),
      );
    }
    this.instanceRows.replaceChildren(...rows);
  }
}
