// The metrics graph builder: search series, add them to a graph, style lines, add CDEFs.

import { api, el } from "./api.js";
import { PageApp } from "./page.js";
import { DEFAULT_VIEW } from "./timerange.js";

const PALETTE = ["#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const CFS = ["AVERAGE", "MAX", "MIN", "LAST"];

let editor = null;
const app = new PageApp({ onEdit: (card) => editor.open(card) });

function blankGraph() {
  return { title: "New graph", vlabel: "", logarithmic: false, ymin: null, ymax: null, series: [], cdefs: [], lines: [] };
}

function names(def) {
  return [...def.series.map((s) => s.name), ...(def.cdefs || []).map((c) => c.name)];
}

function freshName(def, stem) {
  const taken = new Set(names(def));
  for (let i = 1; ; i += 1) if (!taken.has(`${stem}${i}`)) return `${stem}${i}`;
}

class Editor {
  constructor(root) {
    this.root = root;
    this.card = null;
    this.timer = null;
  }

  open(card) {
    app.cards.forEach((c) => c.el.classList.toggle("selected", c === card));
    this.card = card;
    this.build();
    this.root.hidden = false;
    this.root.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  close() {
    this.card?.el.classList.remove("selected");
    this.card = null;
    this.root.hidden = true;
  }

  get def() {
    return this.card.graph.definition;
  }

  /** The definition changed: redraw soon and save; rebuild the form when its shape changed. */
  changed({ rebuild = false } = {}) {
    if (rebuild) this.build();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.card.setDefinition(this.def), 400);
    app.store.changed();
  }

  field(label, input) {
    return el("label", {}, label, input);
  }

  text(obj, key, attrs = {}) {
    return el("input", { type: "text", value: obj[key] ?? "", ...attrs, oninput: (ev) => { obj[key] = ev.target.value; this.changed(); } });
  }

  /** A series or CDEF name; lines drawing it follow the rename. */
  nameInput(obj, label) {
    return el("input", { type: "text", value: obj.name, size: 8, "aria-label": label,
      onchange: (ev) => {
        const old = obj.name;
        obj.name = ev.target.value.trim();
        for (const line of this.def.lines) if (line.value === old) line.value = obj.name;
        this.changed({ rebuild: true });
      } });
  }

  number(obj, key, attrs = {}) {
    return el("input", { type: "number", step: "any", value: obj[key] ?? "", ...attrs,
      oninput: (ev) => { obj[key] = ev.target.value === "" ? null : Number(ev.target.value); this.changed(); } });
  }

  check(obj, key) {
    return el("input", { type: "checkbox", checked: Boolean(obj[key]), onchange: (ev) => { obj[key] = ev.target.checked; this.changed(); } });
  }

  select(obj, key, options) {
    const sel = el("select", { onchange: (ev) => { obj[key] = ev.target.value; this.changed(); } },
      options.map((o) => el("option", { value: o, selected: o === obj[key], text: o })));
    return sel;
  }

  remove(list, item) {
    return el("button", { type: "button", class: "icon danger", "aria-label": "Remove", text: "✕",
      onclick: () => { list.splice(list.indexOf(item), 1); this.changed({ rebuild: true }); } });
  }

  build() {
    const def = this.def;
    def.series ||= [];
    def.cdefs ||= [];
    def.lines ||= [];
    const values = names(def);
    const seriesRows = def.series.map((s) => el("tr", {},
      el("td", {}, this.nameInput(s, "Series name")),
      el("td", { text: `${s.path}:${s.ds}` }),
      el("td", {}, this.select(s, "cf", CFS)),
      el("td", {}, this.remove(def.series, s))));
    const cdefRows = def.cdefs.map((c) => el("tr", {},
      el("td", {}, this.nameInput(c, "CDEF name")),
      el("td", { colspan: "2" }, this.text(c, "rpn", { "aria-label": "RPN expression", placeholder: "a,b,+" })),
      el("td", {}, this.remove(def.cdefs, c))));
    const lineRows = def.lines.map((l) => el("tr", {},
      el("td", {}, this.select(l, "value", values.includes(l.value) ? values : [l.value, ...values])),
      el("td", {}, this.select(l, "type", ["LINE", "AREA"])),
      el("td", {}, this.number(l, "width", { min: "0.5", max: "10", style: "width:4em" })),
      el("td", {}, el("input", { type: "color", value: (l.color || "#1f77b4").slice(0, 7), "aria-label": "Colour",
        oninput: (ev) => { l.color = ev.target.value; this.changed(); } })),
      el("td", {}, this.text(l, "legend", { "aria-label": "Legend" })),
      el("td", {}, this.check(l, "dash")),
      el("td", {}, this.check(l, "stack")),
      el("td", {}, this.remove(def.lines, l))));
    const addCdef = el("button", { type: "button", class: "small", text: "+ CDEF", onclick: () => {
      def.cdefs.push({ name: freshName(def, "c"), rpn: values[0] ? `${values[0]},1,*` : "" });
      this.changed({ rebuild: true });
    } });
    const addLine = el("button", { type: "button", class: "small", text: "+ Line", onclick: () => {
      def.lines.push({ value: values[0] ?? "", type: "LINE", width: 1, color: PALETTE[def.lines.length % PALETTE.length], legend: "" });
      this.changed({ rebuild: true });
    } });
    this.root.replaceChildren(
      el("div", { class: "row" }, el("h2", { text: "Edit graph" }), el("span", { class: "spacer" }),
        el("button", { type: "button", class: "ghost", text: "Done", onclick: () => this.close() })),
      el("div", { class: "row" },
        this.field("Title", this.text(def, "title", { size: 30 })),
        this.field("Y label", this.text(def, "vlabel", { size: 14 })),
        this.field("Log scale", this.check(def, "logarithmic")),
        this.field("Y min", this.number(def, "ymin", { style: "width:6em" })),
        this.field("Y max", this.number(def, "ymax", { style: "width:6em" }))),
      el("table", {}, el("thead", {}, el("tr", {}, ["Name", "Series", "Consolidation", ""].map((t) => el("th", { text: t })))),
        el("tbody", {}, seriesRows.length ? seriesRows : el("tr", {}, el("td", { colspan: "4", class: "hint", text: "No series: pick one on the left." })))),
      el("table", {}, el("thead", {}, el("tr", {}, ["CDEF", "RPN (rrdtool, e.g. a,b,+ or a,8,*)", "", ""].map((t) => el("th", { text: t })))),
        el("tbody", {}, cdefRows)),
      addCdef,
      el("table", {}, el("thead", {}, el("tr", {}, ["Draw", "Type", "Width", "Colour", "Legend", "Dashed", "Stacked", ""].map((t) => el("th", { text: t })))),
        el("tbody", {}, lineRows)),
      addLine,
    );
  }

  addSeries(path, ds) {
    if (!this.card) this.open(app.add({ id: null, definition: blankGraph(), view: { ...DEFAULT_VIEW } }));
    const def = this.def;
    const name = freshName(def, "s");
    def.series.push({ name, path, ds, cf: "AVERAGE" });
    def.lines.push({ value: name, type: "LINE", width: 1, color: PALETTE[def.lines.length % PALETTE.length],
      legend: `${path.split("/").slice(-1)[0]}:${ds}`, dash: false, stack: false });
    if (def.title === "New graph") def.title = path.replace(/^metrics\//, "");
    this.changed({ rebuild: true });
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
    this.page = 1;
    this.timer = null;
    this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.run(1); });
    this.input.addEventListener("input", () => { clearTimeout(this.timer); this.timer = setTimeout(() => this.run(1), 300); });
    this.prev.addEventListener("click", () => this.run(this.page - 1));
    this.next.addEventListener("click", () => this.run(this.page + 1));
    this.run(1);
  }

  async run(page) {
    const params = new URLSearchParams({ q: this.input.value.trim() || "*", page: String(Math.max(1, page)) });
    try {
      const data = await api(`${app.config.urls.series}?${params}`);
      this.page = data.page;
      const pages = Math.max(1, Math.ceil(data.total / data.per_page));
      this.count.textContent = `${data.total} series · page ${data.page}/${pages}`;
      this.prev.disabled = data.page <= 1;
      this.next.disabled = data.page >= pages;
      this.list.replaceChildren(...data.series.map((s) => el("li", {}, el("span", { text: s.name }),
        el("div", { class: "ds" }, s.ds.map((ds) => el("button", { type: "button", class: "add-series", "data-path": s.name, text: ds,
          title: `Add ${s.name}:${ds}`, onclick: () => editor.addSeries(s.name, ds) }))))));
    } catch (err) {
      this.count.textContent = "";
      this.list.replaceChildren(el("li", { class: "error", text: err.message }));
    }
  }
}

const root = document.getElementById("editor");
editor = new Editor(root);
if (app.editable) {
  new Search();
  document.getElementById("new-graph").addEventListener("click", () => {
    editor.open(app.add({ id: null, definition: blankGraph(), view: { ...DEFAULT_VIEW } }));
  });
  const originalRemove = app.remove.bind(app);
  app.remove = (card) => {
    if (editor.card === card) editor.close();
    originalRemove(card);
  };
}
