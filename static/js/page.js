// What the tracelog dashboard and the metrics builder share: the cards, saving,
// auto-refresh, page and clone actions.

import { api, el, readConfig } from "./api.js";
import { GraphCard, setTheme, setVariables } from "./graphcard.js";
import { ask } from "./ask.js";
import { PageStore } from "./pagestore.js";
import { THEMES, loadPrefs, savePrefs, zoneChoices } from "./prefs.js";
import { chooseValue, pageVariables, readVariables, valuesQuery } from "./variables.js";
import { editVariables } from "./variableeditor.js";
import { PRESETS, normalise, rangeOf, rangeParams, sameView, setZone } from "./timerange.js";

const REFRESH_MS = 60_000;
// changes closer together than this are undone together (typing, dragging)
const UNDO_MERGE_MS = 1000;
const UNDO_DEPTH = 50;
// what "apply to all" copies of a definition besides the view's range and step
const AXIS_KEYS = ["ymin", "ymax", "logarithmic"];

export class PageApp {
  constructor({ onEdit = null } = {}) {
    this.config = readConfig();
    this.editable = this.config.editable;
    this.container = document.getElementById("graphs");
    this.emptyNote = document.getElementById("empty");
    this.statusEl = document.getElementById("save-status");
    this.notice = document.getElementById("notice");
    this.onEdit = onEdit;
    this.prefs = loadPrefs(this.config.me, window.localStorage);
    setZone(this.prefs.zone);
    this.applyTheme();
    this.store = new PageStore(this.config.page, {
      editable: this.editable,
      onStatus: (state, text) => this.status(state, text),
      onConflict: (err) => this.conflict(err),
      onSaved: () => this.cards.forEach((card) => card.syncControls()),
      onChange: () => this.recordUndo(),
    });
    this.undoStack = [];
    this.lastState = this.snapshot();
    this.lastPush = 0;
    this.cards = this.store.graphs.map((g) => this.makeCard(g));
    this.cards.forEach((card) => this.container.append(card.el));
    this.updateEmpty();
    this.openSharedGraph() || this.openPageRange();
    this.bindPageRange();
    this.bindPrefs();
    this.bindHistory();
    this.bindKeys();
    // graphs using variables are drawn once the variables have values
    const ready = this.bindVariables();
    requestAnimationFrame(() => ready.then(() => this.redrawAll()));
    this.bindPageActions();
    this.startRefresh();
    this.redrawOnResize();
  }

  /** Graphs are drawn at their displayed width: draw again when the window resized. */
  redrawOnResize() {
    let timer = null;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        for (const card of this.cards)
          if (card.loadedWidth && card.size().width !== card.loadedWidth) card.load();
      }, 250);
    });
  }

  snapshot() {
    return JSON.stringify(
      this.store.graphs.map((g) => ({
        id: g.id ?? null,
        definition: g.definition,
        view: g.view,
        clone_url: g.clone_url,
      })),
    );
  }

  /** The page is about to be saved: remember how it was, for "Undo". */
  recordUndo() {
    if (this.restoring) return;
    const state = this.snapshot();
    if (state === this.lastState) return;
    const now = Date.now();
    const reshaped = JSON.parse(state).length !== JSON.parse(this.lastState).length;
    if (reshaped || now - this.lastPush > UNDO_MERGE_MS) {
      this.undoStack.push(this.lastState);
      if (this.undoStack.length > UNDO_DEPTH) this.undoStack.shift();
    }
    this.lastPush = now;
    this.lastState = state;
    this.syncUndo();
  }

  syncUndo() {
    const button = document.getElementById("undo");
    if (button) button.disabled = !this.undoStack.length;
  }

  /** Put the page back as it was before the last change (and save that). */
  undo() {
    const state = this.undoStack.pop();
    if (state === undefined) return;
    this.onReset?.();
    this.cards.forEach((card) => card.destroy());
    this.store.graphs.splice(0, this.store.graphs.length, ...JSON.parse(state));
    this.cards = this.store.graphs.map((g) => this.makeCard(g));
    this.cards.forEach((card) => this.container.append(card.el));
    this.updateEmpty();
    this.cards.forEach((card) => card.load());
    this.lastState = state;
    this.lastPush = 0;
    this.restoring = true;
    this.store.changed();
    this.restoring = false;
    this.syncUndo();
  }

  makeCard(graph) {
    const hooks = {
      onChange: () => this.store.changed(),
      onApplyAll: (view, card) => this.applyToAll(view, card),
      onRemove: (card) => this.remove(card),
      onMove: (card, delta) => this.move(card, delta),
      onClone: (card) => this.cloneGraph(card),
      onNavigate: (card) => this.navigated(card),
      onHover: (card, time) => this.cards.forEach((c) => c.mark(time, { readout: c === card })),
      pageUrl: this.config.page.url,
    };
    if (this.onEdit) hooks.onEdit = (card) => this.onEdit(card);
    return new GraphCard(graph, {
      renderBase: this.config.urls.render,
      editable: this.editable,
      palette: this.config.colors.palette,
      hooks,
    });
  }

  /** A share link (?graph=ID&start=&end= or &trail=) shows that graph in that range, unsaved. */
  openSharedGraph() {
    const params = new URLSearchParams(window.location.search);
    const card = this.cards.find((c) => String(c.graph.id) === params.get("graph"));
    if (!card) return false;
    const view = params.get("trail")
      ? { trail: Number(params.get("trail")) }
      : { start: params.get("start"), end: params.get("end") };
    if (view.trail || view.start) card.setView(view, { quiet: true });
    card.el.classList.add("selected");
    requestAnimationFrame(() => card.el.scrollIntoView({ block: "center" }));
    return true;
  }

  /** A page-level range in the URL (?start=-7d&end=now or ?trail=6) shows every graph in it, unsaved. */
  openPageRange() {
    const params = new URLSearchParams(window.location.search);
    if (params.has("graph")) return;
    const view = params.get("trail")
      ? { trail: Number(params.get("trail")) }
      : { start: params.get("start"), end: params.get("end") || "now" };
    if (!view.trail && !view.start) return;
    this.pageRange = view;
    for (const card of this.cards) card.setView(view, { quiet: true });
  }

  /** One picker for every graph of the page; the range goes into the URL, not into the graphs' saved views. */
  bindPageRange() {
    const root = document.getElementById("page-range");
    if (!root) return;
    const buttons = PRESETS.map(([label, start]) =>
      el("button", {
        type: "button",
        class: "preset",
        "data-start": start,
        text: label,
        title: `Show every graph over the last ${label}`,
        onclick: () => this.setPageRange({ start, end: "now" }),
      }),
    );
    this.pageRangeButtons = buttons;
    root.replaceChildren(el("span", { class: "hint", text: "All graphs:" }), ...buttons);
    this.syncPageRange();
  }

  /** The viewer's time zone (and theme): kept per user in this browser, applied at once. */
  bindPrefs() {
    const zone = document.getElementById("tz-select");
    if (zone) {
      zone.replaceChildren(
        ...zoneChoices().map(([value, label]) =>
          el("option", { value, text: label, selected: value === this.prefs.zone }),
        ),
      );
      zone.addEventListener("change", () => this.setPrefs({ zone: zone.value }));
    }
    const theme = document.getElementById("theme-select");
    if (theme) {
      theme.replaceChildren(
        ...THEMES.map((name) =>
          el("option", { value: name, text: name, selected: name === this.prefs.theme }),
        ),
      );
      theme.addEventListener("change", () => this.setPrefs({ theme: theme.value }));
    }
  }

  applyTheme() {
    setTheme(this.prefs.theme);
    document.documentElement.dataset.theme = this.prefs.theme;
  }

  setPrefs(changes) {
    Object.assign(this.prefs, changes);
    savePrefs(this.config.me, window.localStorage, this.prefs);
    setZone(this.prefs.zone);
    this.applyTheme();
    for (const card of this.cards) {
      card.syncControls();
      card.load();
    }
  }

  setPageRange(view) {
    for (const card of this.cards) card.setView(view, { quiet: true });
    this.showPageRange(view, { push: true });
  }

  /** Pickers of the page's variables (those it declares, and the built-in $customer and
   * $host when its graphs use them), each listing what its pattern matches given the
   * variables before it; the chosen values in the URL (?var-env=prod). */
  async bindVariables() {
    const root = document.getElementById("variables");
    const defs = this.cards.map((c) => c.graph.definition);
    this.shownVariables = pageVariables(this.store.variables, defs);
    const names = this.shownVariables.map((v) => v.name);
    this.variables = readVariables(window.location.search, names);
    setVariables(this.variables);
    if (!root) return;
    root.hidden = !names.length;
    if (!names.length) return;
    // a value from the URL stays even when no series has it (yet): the graph says so
    const options = await this.variableOptions({ strictFrom: Infinity });
    setVariables(this.variables);
    this.showPickers(root, options);
  }

  /** Each shown variable's values, in order (a later one's list depends on the earlier
   * ones' values). A value before `strictFrom` is kept even when not listed; from it on,
   * a value no longer listed becomes the first listed. */
  async variableOptions({ strictFrom }) {
    const options = {};
    const names = this.shownVariables.map((v) => v.name);
    for (const [i, variable] of this.shownVariables.entries()) {
      const query = valuesQuery(variable, names.slice(0, i), this.variables);
      let found = { values: [], truncated: false };
      try {
        found = await this.cachedValues(query.toString());
      } catch (err) {
        this.say(`Cannot list the values of $${variable.name}: ${err.message}`, "error");
      }
      options[variable.name] = found;
      const keep = i < strictFrom;
      this.variables[variable.name] = chooseValue(this.variables[variable.name], found.values, {
        keep,
      });
    }
    return options;
  }

  cachedValues(query) {
    this.valuesCache ||= new Map();
    if (!this.valuesCache.has(query)) {
      const asked = api(`${this.config.urls.variable_values}?${query}`);
      asked.catch(() => this.valuesCache.delete(query));
      this.valuesCache.set(query, asked);
    }
    return this.valuesCache.get(query);
  }

  showPickers(root, options) {
    const pickers = this.shownVariables.map(({ name }) => {
      const { values, truncated } = options[name];
      const current = this.variables[name];
      const listed = !current || values.includes(current) ? values : [current, ...values];
      return el(
        "label",
        { class: "variable" },
        `$${name}`,
        el(
          "select",
          {
            "aria-label": `Variable ${name}`,
            onchange: (ev) => this.setVariable(name, ev.target.value),
          },
          listed.map((v) => el("option", { value: v, text: v, selected: v === current })),
          truncated ? el("option", { disabled: true, text: "(more not listed)" }) : null,
        ),
      );
    });
    root.replaceChildren(...pickers);
  }

  /** The page's "Variables" form; saved, the pickers are rebuilt and the graphs drawn. */
  async editVariables() {
    const saved = await editVariables(this.store.variables, (list) =>
      this.store.saveVariables(list),
    );
    if (!saved) return;
    this.valuesCache = null;
    await this.bindVariables();
    this.redrawAll();
  }

  /** A variable's new value: the variables after it listed again (each keeping its value
   * when still listed), every graph drawn again, a new step of the history. */
  async setVariable(name, value) {
    this.variables = { ...this.variables, [name]: value };
    const index = this.shownVariables.findIndex((v) => v.name === name);
    const options = await this.variableOptions({ strictFrom: index + 1 });
    setVariables(this.variables);
    const root = document.getElementById("variables");
    if (root) this.showPickers(root, options);
    const url = new URL(window.location.href);
    for (const v of this.shownVariables.slice(index)) {
      if (this.variables[v.name]) url.searchParams.set(`var-${v.name}`, this.variables[v.name]);
      else url.searchParams.delete(`var-${v.name}`);
    }
    window.history.pushState(this.ranges(), "", url);
    this.redrawAll();
  }

  redrawAll() {
    for (const card of this.cards) {
      card.syncControls();
      card.load();
    }
  }

  /** Every graph's range and the page's: what Back and Forward go through. */
  ranges() {
    return { page: this.pageRange || null, ranges: this.cards.map((c) => rangeOf(c.graph.view)) };
  }

  bindHistory() {
    window.history.replaceState(this.ranges(), "", window.location.href);
    window.addEventListener("popstate", (ev) => {
      const state = ev.state;
      if (!state || !Array.isArray(state.ranges)) return;
      let changed = false;
      this.cards.forEach((card, i) => {
        const range = state.ranges[i];
        if (range && !sameView({ ...card.graph.view, step: null }, range)) {
          card.setView(range, { quiet: true });
          changed = true;
        }
      });
      this.pageRange = state.page || undefined;
      this.syncPageRange();
      if (this.shownVariables?.length) this.bindVariables().then(() => this.redrawAll());
      if (changed) this.store.changed();
    });
  }

  /** A graph's range changed (zoom, preset, trail): a new entry of the browser's history,
   * whose URL shows that graph in that range. */
  navigated(card) {
    const url = new URL(window.location.href);
    for (const key of ["graph", "start", "end", "trail"]) url.searchParams.delete(key);
    if (card.graph.id != null) url.searchParams.set("graph", String(card.graph.id));
    for (const [key, value] of Object.entries(rangeParams(rangeOf(card.graph.view))))
      url.searchParams.set(key, value);
    this.pageRange = undefined;
    this.syncPageRange();
    window.history.pushState(this.ranges(), "", url);
  }

  /** Escape closes the editor (or a card's tools), Ctrl+Z undoes outside text fields. */
  bindKeys() {
    document.addEventListener("keydown", (ev) => {
      const typing = ev.target.closest?.("input, textarea, select, [contenteditable]");
      if (ev.key === "Escape") {
        if (this.onEscape?.()) return;
        for (const card of this.cards) card.toggleTools(false);
      } else if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "z" && !ev.shiftKey) {
        if (typing || !this.editable) return;
        ev.preventDefault();
        this.undo();
      }
    });
  }

  /** Put the page's range `view` in the URL and light its button. */
  showPageRange(view, { push = false } = {}) {
    this.pageRange = view;
    const url = new URL(window.location.href);
    for (const key of ["graph", "start", "end", "trail"]) url.searchParams.delete(key);
    for (const [key, value] of Object.entries(rangeParams(view))) url.searchParams.set(key, value);
    if (push) window.history.pushState(this.ranges(), "", url);
    else window.history.replaceState(this.ranges(), "", url);
    this.syncPageRange();
  }

  syncPageRange() {
    const view = this.pageRange;
    for (const button of this.pageRangeButtons || []) {
      button.setAttribute(
        "aria-pressed",
        String(
          Boolean(view && !view.trail && view.end === "now" && view.start === button.dataset.start),
        ),
      );
    }
  }

  status(state, text) {
    // a refused save is said beside the editor, where the change was made
    const refusal = document.getElementById("save-error");
    if (refusal && state !== "pending") {
      refusal.textContent = state === "error" ? text : "";
      refusal.hidden = state !== "error";
    }
    if (!this.statusEl) return;
    this.statusEl.textContent = text;
    this.statusEl.dataset.state = state;
  }

  say(text, kind = "info", link = null) {
    this.notice.replaceChildren(text, link ? el("a", { href: link.href, text: link.text }) : "");
    this.notice.className = `banner ${kind}`;
    this.notice.hidden = false;
  }

  conflict(err) {
    this.say(`${err.message}. Reloading the page…`, "error");
    this.status("error", "Changed elsewhere");
    window.setTimeout(() => window.location.reload(), 1200);
  }

  updateEmpty() {
    if (this.emptyNote) this.emptyNote.hidden = this.cards.length > 0;
  }

  add(graph) {
    this.store.graphs.push(graph);
    const card = this.makeCard(graph);
    this.cards.push(card);
    this.container.append(card.el);
    this.updateEmpty();
    card.load();
    card.el.scrollIntoView({ behavior: "smooth", block: "nearest" });
    this.store.changed();
    return card;
  }

  remove(card) {
    const i = this.cards.indexOf(card);
    if (i < 0) return;
    this.cards.splice(i, 1);
    this.store.graphs.splice(i, 1);
    card.destroy();
    this.updateEmpty();
    this.store.changed();
  }

  move(card, delta) {
    const i = this.cards.indexOf(card);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= this.cards.length) return;
    for (const list of [this.cards, this.store.graphs]) [list[i], list[j]] = [list[j], list[i]];
    if (delta < 0) this.container.insertBefore(card.el, this.cards[i].el);
    else this.container.insertBefore(this.cards[i].el, card.el);
    this.store.changed();
  }

  /** Every graph takes the range and step of `view`, and the y limits and log scale of
   * `source`'s definition when given. */
  applyToAll(view, source = null) {
    let changed = false;
    const range = { ...rangeOf(view), step: normalise(view).step };
    const axis = source ? AXIS_KEYS.map((key) => [key, source.graph.definition[key] ?? null]) : [];
    for (const card of this.cards) {
      const def = card.graph.definition;
      const axisChanged = axis.some(([key, value]) => (def[key] ?? null) !== value);
      if (axisChanged) {
        for (const [key, value] of axis) def[key] = value;
        card.graph.definition = def;
      }
      if (!sameView(card.graph.view, range) || axisChanged) {
        card.setView({ ...range }, { quiet: true });
        changed = true;
      }
    }
    if (changed) this.store.changed();
    // every graph now shows this range: the URL says so (an older one would come back)
    this.showPageRange(rangeOf(view));
  }

  async cloneGraph(card) {
    const target = document.getElementById("clone-target")?.value || "default";
    try {
      const page = await api(card.graph.clone_url, { method: "POST", body: { page: target } });
      this.say(`Cloned “${card.title}” into your page ${page.name}. `, "ok", {
        href: page.url,
        text: "Open it",
      });
    } catch (err) {
      this.say(`Cannot clone the graph: ${err.message}`, "error");
    }
  }

  bindPageActions() {
    const page = this.config.page;
    document.getElementById("user-switch")?.addEventListener("change", (ev) => {
      window.location.assign(ev.target.value);
    });
    document.getElementById("new-page")?.addEventListener("click", async () => {
      const name = await ask("Name of the new page (letters, digits, '_', '.', '-'):");
      if (!name) return;
      try {
        const created = await api(this.config.urls.create_page, { method: "POST", body: { name } });
        window.location.assign(created.url);
      } catch (err) {
        this.say(`Cannot create the page: ${err.message}`, "error");
      }
    });
    document.getElementById("delete-page")?.addEventListener("click", async () => {
      if (!window.confirm(`Delete the page “${page.name}” and its ${this.cards.length} graphs?`))
        return;
      await this.store.flush();
      try {
        const done = await api(page.api, {
          method: "DELETE",
          body: { generation: this.store.generation },
        });
        window.location.assign(done.url);
      } catch (err) {
        if (err.status === 409) this.conflict(err);
        else this.say(`Cannot delete the page: ${err.message}`, "error");
      }
    });
    document.getElementById("undo")?.addEventListener("click", () => this.undo());
    document
      .getElementById("edit-variables")
      ?.addEventListener("click", () => this.editVariables());
    document.getElementById("duplicate-page")?.addEventListener("click", async () => {
      const name = await ask("Name of the copy of this page:", `${page.name}-copy`);
      if (!name) return;
      await this.store.flush();
      try {
        const copy = await api(page.clone_url, { method: "POST", body: { name } });
        window.location.assign(copy.url);
      } catch (err) {
        this.say(`Cannot duplicate the page: ${err.message}`, "error");
      }
    });
    document.getElementById("rename-page")?.addEventListener("click", async () => {
      const name = await ask("New name of this page:", page.name);
      if (!name || name === page.name) return;
      await this.store.flush();
      try {
        const renamed = await api(page.api, {
          method: "PATCH",
          body: { generation: this.store.generation, name },
        });
        window.location.assign(renamed.url);
      } catch (err) {
        if (err.status === 409) this.conflict(err);
        else this.say(`Cannot rename the page: ${err.message}`, "error");
      }
    });
    document.getElementById("clone-page")?.addEventListener("click", async () => {
      const name = await ask("Name of your copy of this page:", `${page.user}-${page.name}`);
      if (!name) return;
      try {
        const copy = await api(page.clone_url, { method: "POST", body: { name } });
        window.location.assign(copy.url);
      } catch (err) {
        this.say(`Cannot clone the page: ${err.message}`, "error");
      }
    });
  }

  startRefresh() {
    const button = document.getElementById("refresh-toggle");
    let timer = null;
    const set = (on) => {
      window.clearInterval(timer);
      timer = on
        ? window.setInterval(() => {
            if (document.visibilityState === "visible")
              this.cards.forEach((c) => c.load({ fresh: true }));
          }, REFRESH_MS)
        : null;
      if (button) {
        button.setAttribute("aria-pressed", String(on));
        button.textContent = on ? "Auto-refresh on" : "Auto-refresh paused";
      }
    };
    button?.addEventListener("click", () => set(button.getAttribute("aria-pressed") !== "true"));
    set(true);
  }
}
