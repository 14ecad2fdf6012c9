// The metrics graph builder: search series, add them to a graph, style lines,
// aggregate many series in one click, add CDEFs.

import { api, el } from "./api.js";
import { formatFields } from "./graphsettings.js";
import { PageApp } from "./page.js";
import { DEFAULT_VIEW } from "./timerange.js";
import {
  addAggregate,
  autoLabels,
  defaultTitle,
  freshName,
  names,
  nextColor,
  pinColors,
  pruneDefinition,
} from "./builder.js";

const CFS = ["AVERAGE", "MAX", "MIN", "LAST"];
const LINE_TYPES = ["LINE", "AREA", "TICK"];
// The render API's bounds (web/graphjson.py): series per graph, lines per graph.
const MAX_SERIES = 500;
const MAX_LINES = 100;
const AGGREGATES = [
  ["TOTAL", "Total"],
  ["AVERAGE", "Average"],
  ["MIN", "Min"],
  ["MAX", "Max"],
];
const REDRAW_MS = 400;

let editor = null;
const app = new PageApp({ onEdit: (card) => editor.open(card) });
app.onEscape = () => {
  if (!editor?.card) return false;
  editor.close();
  return true;
};

function blankGraph() {
  return {
    title: "New graph",
    vlabel: "",
    logarithmic: false,
    ymin: null,
    ymax: null,
    series: [],
    cdefs: [],
    lines: [],
  };
}

class Editor {
  constructor(root) {
    this.root = root;
    this.card = null;
    this.timer = null;
    this.redraw = null;
    this.selected = new Set();
  }

  open(card) {
    if (this.card !== card) this.flush();
    app.cards.forEach((c) => c.el.classList.toggle("selected", c === card));
    if (this.card !== card) this.selected.clear();
    this.card = card;
    this.build();
    this.root.hidden = false;
    this.root.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  close() {
    this.flush();
    this.card?.el.classList.remove("selected");
    this.card = null;
    this.selected.clear();
    this.root.hidden = true;
  }

  /** Draw now what a pending redraw would have drawn (the editor is closing or moving on). */
  flush() {
    clearTimeout(this.timer);
    const redraw = this.redraw;
    this.redraw = null;
    redraw?.();
  }

  get def() {
    return this.card.graph.definition;
  }

  /** The definition changed: redraw soon and save; rebuild the form when its shape changed. */
  changed({ rebuild = false } = {}) {
    if (rebuild) this.build();
    clearTimeout(this.timer);
    // the card drawn is the one edited now, even if the editor has moved on meanwhile
    const card = this.card;
    this.redraw = () => card.setDefinition(card.graph.definition);
    this.timer = setTimeout(() => this.flush(), REDRAW_MS);
    app.store.changed();
  }

  field(label, input) {
    return el("label", {}, label, input);
  }

  text(obj, key, attrs = {}) {
    return el("input", {
      type: "text",
      value: obj[key] ?? "",
      ...attrs,
      oninput: (ev) => {
        obj[key] = ev.target.value;
        this.changed();
      },
    });
  }

  /** A series or CDEF name; lines and aggregates using it follow the rename. */
  nameInput(obj, label) {
    return el("input", {
      type: "text",
      value: obj.name,
      size: 8,
      "aria-label": label,
      onchange: (ev) => {
        const old = obj.name;
        obj.name = ev.target.value.trim();
        for (const line of this.def.lines) if (line.value === old) line.value = obj.name;
        for (const c of this.def.cdefs)
          if (c.of) c.of = c.of.map((n) => (n === old ? obj.name : n));
        if (this.selected.delete(old)) this.selected.add(obj.name);
        this.changed({ rebuild: true });
      },
    });
  }

  /** `path:ds` of a series, editable: re-points the series in place. */
  sourceInput(s) {
    return el("input", {
      type: "text",
      value: `${s.path}:${s.ds}`,
      "aria-label": "Series source",
      class: "source",
      onchange: (ev) => {
        const text = ev.target.value.trim();
        const cut = text.lastIndexOf(":");
        if (cut <= 0 || cut === text.length - 1) {
          ev.target.setCustomValidity("PATH:DS, e.g. metrics/web1/cpu:data");
          ev.target.reportValidity();
          return;
        }
        ev.target.setCustomValidity("");
        s.path = text.slice(0, cut);
        s.ds = text.slice(cut + 1);
        this.changed();
      },
    });
  }

  number(obj, key, attrs = {}) {
    return el("input", {
      type: "number",
      step: "any",
      value: obj[key] ?? "",
      ...attrs,
      oninput: (ev) => {
        obj[key] = ev.target.value === "" ? null : Number(ev.target.value);
        this.changed();
      },
    });
  }

  check(obj, key, attrs = {}) {
    return el("input", {
      type: "checkbox",
      checked: Boolean(obj[key]),
      ...attrs,
      onchange: (ev) => {
        obj[key] = ev.target.checked;
        this.changed();
      },
    });
  }

  select(obj, key, options, attrs = {}) {
    return el(
      "select",
      {
        ...attrs,
        onchange: (ev) => {
          obj[key] = ev.target.value;
          this.changed();
        },
      },
      options.map((o) => el("option", { value: o, selected: o === obj[key], text: o })),
    );
  }

  /** A line's type; what the new type cannot have (dashes, stacking) is dropped. */
  typeSelect(line) {
    return el(
      "select",
      {
        "aria-label": "Line type",
        onchange: (ev) => {
          line.type = ev.target.value;
          if (line.type !== "LINE") line.dash = false;
          if (line.type === "TICK") {
            line.stack = false;
            line.fraction ??= 1;
          } else {
            delete line.fraction;
          }
          this.changed({ rebuild: true });
        },
      },
      LINE_TYPES.map((t) => el("option", { value: t, selected: t === line.type, text: t })),
    );
  }

  remove(list, item) {
    return el("button", {
      type: "button",
      class: "icon danger",
      "aria-label": "Remove",
      text: "✕",
      onclick: () => {
        // the lines left keep their colours (a colour by position would move up)
        pinColors(this.def.lines, app.config.colors.palette);
        list.splice(list.indexOf(item), 1);
        pruneDefinition(this.def);
        this.changed({ rebuild: true });
      },
    });
  }

  move(list, item, delta, label) {
    return el("button", {
      type: "button",
      class: "icon",
      "aria-label": label,
      title: label,
      text: delta < 0 ? "↑" : "↓",
      onclick: () => {
        const i = list.indexOf(item);
        const j = i + delta;
        if (j < 0 || j >= list.length) return;
        if (list === this.def.lines) pinColors(list, app.config.colors.palette);
        [list[i], list[j]] = [list[j], list[i]];
        this.changed({ rebuild: true });
      },
    });
  }

  selectBox(s) {
    return el("input", {
      type: "checkbox",
      checked: this.selected.has(s.name),
      "aria-label": `Select ${s.name}`,
      onchange: (ev) => {
        if (ev.target.checked) this.selected.add(s.name);
        else this.selected.delete(s.name);
        this.build();
      },
    });
  }

  /** The series an aggregate takes: the ticked ones, or all when none is ticked. */
  /** The ticked series; none ticked: those not already in an aggregate (else all). */
  chosen() {
    const series = this.def.series.filter((s) => this.selected.has(s.name));
    if (series.length) return series;
    const aggregated = new Set((this.def.cdefs || []).flatMap((c) => c.of || []));
    const free = this.def.series.filter((s) => !aggregated.has(s.name));
    return free.length ? free : this.def.series;
  }

  /** Replace the chosen series' lines by one line of their aggregate (or a custom RPN). */
  aggregate(kind, label) {
    const chosen = this.chosen();
    if (!chosen.length) return;
    addAggregate(this.def, chosen, kind, label, app.config.colors);
    this.selected.clear();
    this.changed({ rebuild: true });
  }

  cdefRow(c) {
    const body = c.aggregate
      ? el("td", {
          colspan: "2",
          class: "aggregate",
          text: `${c.aggregate.toLowerCase()} of ${c.of.length}: ${c.of.slice(0, 6).join(", ")}${c.of.length > 6 ? ", …" : ""}`,
        })
      : el(
          "td",
          { colspan: "2" },
          this.text(c, "rpn", { "aria-label": "RPN expression", placeholder: "a,b,+" }),
        );
    return el(
      "tr",
      {},
      el("td", {}, this.nameInput(c, "CDEF name")),
      body,
      el("td", {}, this.remove(this.def.cdefs, c)),
    );
  }

  lineRow(l, i, values) {
    const { palette } = app.config.colors;
    const def = this.def;
    const tick = l.type === "TICK";
    return el(
      "tr",
      {},
      el(
        "td",
        {},
        this.select(l, "value", values.includes(l.value) ? values : [l.value, ...values], {
          "aria-label": "Draw",
        }),
      ),
      el("td", {}, this.typeSelect(l)),
      el(
        "td",
        {},
        tick
          ? this.number(l, "fraction", {
              min: "0.05",
              max: "1",
              class: "narrow",
              "aria-label": "Tick height",
            })
          : this.number(l, "width", {
              min: "0.5",
              max: "10",
              class: "narrow",
              "aria-label": "Width",
            }),
      ),
      el(
        "td",
        {},
        el("input", {
          type: "color",
          value: (l.color || palette[i % palette.length]).slice(0, 7),
          "aria-label": "Colour",
          oninput: (ev) => {
            l.color = ev.target.value + (l.color?.length === 9 ? l.color.slice(7) : "");
            this.changed();
          },
        }),
      ),
      el("td", {}, this.text(l, "legend", { "aria-label": "Legend" })),
      el("td", {}, tick ? "" : this.check(l, "dash", { "aria-label": "Dashed" })),
      el("td", {}, tick ? "" : this.check(l, "stack", { "aria-label": "Stacked" })),
      el(
        "td",
        { class: "nowrap" },
        this.move(def.lines, l, -1, "Line up"),
        this.move(def.lines, l, 1, "Line down"),
        this.remove(def.lines, l),
      ),
    );
  }

  build() {
    const def = this.def;
    def.series ||= [];
    def.cdefs ||= [];
    def.lines ||= [];
    const values = names(def);
    const allTicked = def.series.length > 0 && def.series.every((s) => this.selected.has(s.name));
    const tickAll = el("input", {
      type: "checkbox",
      checked: allTicked,
      "aria-label": "Select all series",
      onchange: (ev) => {
        this.selected = new Set(ev.target.checked ? def.series.map((s) => s.name) : []);
        this.build();
      },
    });
    const seriesRows = def.series.map((s) =>
      el(
        "tr",
        {},
        el("td", {}, this.selectBox(s)),
        el("td", {}, this.nameInput(s, "Series name")),
        el("td", {}, this.sourceInput(s)),
        el("td", {}, this.select(s, "cf", CFS, { "aria-label": "Consolidation" })),
        el("td", {}, this.remove(def.series, s)),
      ),
    );
    const count = this.chosen().length;
    const aggregates = el(
      "div",
      { class: "row aggregates", role: "group", "aria-label": "Aggregate series" },
      el("span", {
        class: "hint",
        text: `${this.selected.size ? "Ticked" : "All"} ${count} series →`,
      }),
      AGGREGATES.map(([kind, label]) =>
        el("button", {
          type: "button",
          class: "small",
          text: label,
          disabled: !count,
          title: `One line: the ${label.toLowerCase()} of the series, unknown values left out`,
          onclick: () => this.aggregate(kind, label),
        }),
      ),
      el("button", {
        type: "button",
        class: "small ghost",
        text: "Custom RPN",
        disabled: !count,
        title: "A CDEF over the series' names, to edit",
        onclick: () => this.aggregate("RPN", ""),
      }),
    );
    const undrawn =
      def.series.length && !def.lines.length && def.series.length > MAX_LINES
        ? el("p", {
            class: "hint warn",
            text: `${def.series.length} series are too many to draw one line each: pick Total, Average, Min or Max.`,
          })
        : null;
    const addCdef = el("button", {
      type: "button",
      class: "small",
      text: "+ CDEF",
      onclick: () => {
        def.cdefs.push({ name: freshName(def, "c"), rpn: values[0] ? `${values[0]},1,*` : "" });
        this.changed({ rebuild: true });
      },
    });
    const addLine = el("button", {
      type: "button",
      class: "small",
      text: "+ Line",
      onclick: () => {
        def.lines.push({
          value: values[0] ?? "",
          type: "LINE",
          width: 1,
          color: nextColor(def, app.config.colors.palette),
          legend: "",
        });
        this.changed({ rebuild: true });
      },
    });
    const parts = [
      el(
        "div",
        { class: "row" },
        el("h2", { text: "Edit graph" }),
        el("span", { class: "spacer" }),
        el("button", { type: "button", class: "ghost", text: "Done", onclick: () => this.close() }),
      ),
      el(
        "div",
        { class: "row" },
        this.field("Title", this.text(def, "title", { size: 30 })),
        this.field("Y label", this.text(def, "vlabel", { size: 14 })),
        this.field("Log scale", this.check(def, "logarithmic")),
        this.field("Y min", this.number(def, "ymin", { class: "medium" })),
        this.field("Y max", this.number(def, "ymax", { class: "medium" })),
        formatFields(def, () => this.changed()),
      ),
      el(
        "div",
        { class: "series-table" },
        el(
          "table",
          {},
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("th", {}, tickAll),
              ["Name", "Series (PATH:DS)", "Consolidation", ""].map((t) => el("th", { text: t })),
            ),
          ),
          el(
            "tbody",
            {},
            seriesRows.length
              ? seriesRows
              : el(
                  "tr",
                  {},
                  el("td", {
                    colspan: "5",
                    class: "hint",
                    text: "No series: pick one on the left.",
                  }),
                ),
          ),
        ),
      ),
      aggregates,
      undrawn,
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ["CDEF", "RPN (rrdtool, e.g. a,b,+ or a,8,*)", "", ""].map((t) =>
              el("th", { text: t }),
            ),
          ),
        ),
        el(
          "tbody",
          {},
          def.cdefs.map((c) => this.cdefRow(c)),
        ),
      ),
      addCdef,
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ["Draw", "Type", "Width", "Colour", "Legend", "Dashed", "Stacked", ""].map((t) =>
              el("th", { text: t }),
            ),
          ),
        ),
        el(
          "tbody",
          {},
          def.lines.map((l, i) => this.lineRow(l, i, values)),
        ),
      ),
      addLine,
    ];
    this.root.replaceChildren(...parts.filter(Boolean));
  }

  ensureCard() {
    if (!this.card)
      this.open(app.add({ id: null, definition: blankGraph(), view: { ...DEFAULT_VIEW } }));
  }

  /** Add series ([{path, ds}]); each gets a line unless that would pass the render API's bound. */
  addMany(items, { select = false } = {}) {
    this.ensureCard();
    const def = this.def;
    const before = autoLabels(def.series);
    const withLines = def.lines.length + items.length <= MAX_LINES;
    for (const { path, ds } of items) {
      const name = freshName(def, "s");
      def.series.push({ name, path, ds, cf: "AVERAGE" });
      if (select) this.selected.add(name);
      if (withLines) {
        def.lines.push({
          value: name,
          type: "LINE",
          width: 1,
          color: nextColor(def, app.config.colors.palette),
          legend: "",
          dash: false,
          stack: false,
          auto: true,
        });
      }
    }
    this.relabel(before);
    if (def.title === "New graph" && items.length) def.title = defaultTitle(items);
    this.changed({ rebuild: true });
  }

  addSeries(path, ds) {
    this.addMany([{ path, ds }]);
  }

  /** Default legends: the shortest part of the series' names that tells them apart. */
  relabel(before) {
    const def = this.def;
    const after = autoLabels(def.series);
    def.series.forEach((s, i) => {
      for (const line of def.lines) {
        if (line.value !== s.name) continue;
        if (line.auto || line.legend === before[i]) line.legend = after[i];
        delete line.auto;
      }
    });
  }
}

class Search {
  constructor() {
    this.form = document.getElementById("series-form");
    this.input = document.getElementById("series-q");
    this.list = document.getElementById("series-results");
    this.count = document.getElementById("series-count");
    this.prev = document.getElementById("series-prev");
    this.next = document.getElementById("series-next");
    this.bulk = document.getElementById("series-bulk");
    this.page = 1;
    this.timer = null;
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.run(1);
    });
    this.input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.run(1), 300);
    });
    this.prev.addEventListener("click", () => this.run(this.page - 1));
    this.next.addEventListener("click", () => this.run(this.page + 1));
    this.run(1);
  }

  query(page) {
    return new URLSearchParams({
      // empty: every series (the server's empty query), not the glob "*" of one segment
      q: this.input.value.trim(),
      page: String(Math.max(1, page)),
    });
  }

  async run(page) {
    const token = {};
    this.latest = token;
    try {
      const data = await api(`${app.config.urls.series}?${this.query(page)}`);
      if (this.latest !== token) return; // an answer to an older query
      this.page = data.page;
      const pages = Math.max(1, Math.ceil(data.total / data.per_page));
      this.count.textContent = data.total
        ? `${data.total} series · page ${data.page}/${pages}`
        : "No series match";
      this.prev.disabled = data.page <= 1;
      this.next.disabled = data.page >= pages;
      this.list.replaceChildren(
        ...data.series.map((s) =>
          el(
            "li",
            {},
            el("span", { text: s.name }),
            el(
              "div",
              { class: "ds" },
              s.ds.map((ds) =>
                el("button", {
                  type: "button",
                  class: "add-series",
                  "data-path": s.name,
                  text: ds,
                  title: `Add ${s.name}:${ds}`,
                  onclick: () => editor.addSeries(s.name, ds),
                }),
              ),
            ),
          ),
        ),
      );
      this.showBulk(data);
    } catch (err) {
      if (this.latest !== token) return;
      this.count.textContent = "";
      this.bulk.replaceChildren();
      this.list.replaceChildren(el("li", { class: "error", text: err.message }));
    }
  }

  /** "Add all N matches" with the data source to take from each. */
  showBulk(data) {
    const dss = [...new Set(data.series.flatMap((s) => s.ds))];
    if (!data.total || !dss.length) {
      this.bulk.replaceChildren();
      return;
    }
    const dsSelect = el(
      "select",
      { "aria-label": "Data source of every match" },
      dss.map((ds) => el("option", { value: ds, text: ds })),
    );
    const button = el("button", {
      type: "button",
      class: "small primary",
      text: `Add all ${data.total} matches`,
      onclick: () => this.addAll(dsSelect.value, button),
    });
    this.bulk.replaceChildren(button, el("span", { text: "as" }), dsSelect);
  }

  async addAll(ds, button) {
    button.disabled = true;
    try {
      const items = [];
      for (let page = 1; ; page += 1) {
        const data = await api(`${app.config.urls.series}?${this.query(page)}`);
        if (data.total > MAX_SERIES) {
          app.say(
            `${data.total} series match, a graph reads at most ${MAX_SERIES}: narrow the search.`,
            "error",
          );
          return;
        }
        for (const s of data.series) if (s.ds.includes(ds)) items.push({ path: s.name, ds });
        if (page * data.per_page >= data.total) break;
      }
      const room = MAX_SERIES - (editor.card ? editor.def.series.length : 0);
      if (items.length > room) {
        app.say(
          `${items.length} series would not fit: this graph has room for ${room} more (at most ${MAX_SERIES}).`,
          "error",
        );
        return;
      }
      editor.addMany(items, { select: true });
    } catch (err) {
      app.say(`Cannot add the matches: ${err.message}`, "error");
    } finally {
      button.disabled = false;
    }
  }
}

const root = document.getElementById("editor");
editor = new Editor(root);
app.onReset = () => {
  editor.redraw = null;
  editor.close();
};
if (app.editable) {
  new Search();
  document.getElementById("new-graph").addEventListener("click", () => {
    editor.open(app.add({ id: null, definition: blankGraph(), view: { ...DEFAULT_VIEW } }));
  });
  const originalRemove = app.remove.bind(app);
  app.remove = (card) => {
    if (editor.card === card) {
      editor.redraw = null;
      editor.close();
    }
    originalRemove(card);
  };
}
