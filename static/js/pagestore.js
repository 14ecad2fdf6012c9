// The page being shown: its graphs, auto-saved with the page generation.
// A save based on an old generation gets 409: another tab changed the page, so we reload.

import { api } from "./api.js";

const PARTS = {
  series: "series",
  cdefs: "CDEF",
  vdefs: "VDEF",
  lines: "line",
  gprints: "legend value",
};

/** The server's "graphs[0].definition.cdefs[1].rpn: …" said the way the page shows it:
 * "graph “cpu”, CDEF total1 (rpn): …"; "variables[1].pattern: …" as "variable 2 ($env),
 * pattern: …". Other messages stay as they are. */
export function readableError(message, graphs, variables = []) {
  const v = /^variables\[(\d+)\](?:\.(\w+))?: ([\s\S]*)$/.exec(message);
  if (v) {
    const [, i, field, reason] = v;
    const name = variables[Number(i)]?.name;
    const which = `variable ${Number(i) + 1}${name ? ` ($${name})` : ""}`;
    return `${which}${field ? `, ${field}` : ""}: ${reason}`;
  }
  const m = /^graphs\[(\d+)\]\.definition(?:\.(\w+)(?:\[(\d+)\])?)?(?:\.(\w+))?: ([\s\S]*)$/.exec(
    message,
  );
  if (!m) return message;
  const [, g, part, index, field, reason] = m;
  const def = graphs[Number(g)]?.definition || {};
  let where = `graph “${def.title || `number ${Number(g) + 1}`}”`;
  if (part && index !== undefined) {
    const item = (def[part] || [])[Number(index)] || {};
    const name = item.name || item.value || Number(index) + 1;
    where += `, ${PARTS[part] || part} ${name}`;
  } else if (part) {
    where += `, ${part}`;
  }
  return `${where}${field ? ` (${field})` : ""}: ${reason}`;
}

export class PageStore {
  constructor(
    page,
    {
      editable,
      onStatus = () => {},
      onConflict = () => {},
      onSaved = () => {},
      onChange = () => {},
    },
  ) {
    this.url = page.api;
    this.generation = page.generation;
    this.graphs = page.graphs.map((g) => ({ ...g }));
    this.variables = (page.variables || []).map((v) => ({ ...v }));
    this.editable = editable;
    this.onStatus = onStatus;
    this.onConflict = onConflict;
    this.onSaved = onSaved;
    this.onChange = onChange;
    this.timer = null;
    this.saving = null;
    this.again = false;
    this.dirty = false;
    window.addEventListener("pagehide", () => this.flush({ keepalive: true }));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.flush({ keepalive: true });
    });
  }

  changed() {
    if (!this.editable) return;
    this.onChange();
    this.dirty = true;
    this.onStatus("pending", "Unsaved changes…");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), 300);
  }

  async flush({ keepalive = false } = {}) {
    clearTimeout(this.timer);
    if (!this.dirty) return this.saving;
    if (this.saving) {
      this.again = true;
      return this.saving;
    }
    this.dirty = false;
    // a graph with no series yet cannot be drawn nor saved: it waits for its first one
    const sent = this.graphs.filter((g) => (g.definition.series || []).length);
    const variables = this.variables;
    const body = {
      generation: this.generation,
      graphs: sent.map((g) => ({ id: g.id ?? null, definition: g.definition, view: g.view })),
      variables,
    };
    this.lastError = null;
    this.onStatus("saving", "Saving…");
    this.saving = api(this.url, { method: "PUT", body, keepalive })
      .then((data) => {
        this.generation = data.generation;
        data.graphs.forEach((g, i) => Object.assign(sent[i], { id: g.id, clone_url: g.clone_url }));
        this.onSaved();
        this.onStatus(
          this.dirty ? "pending" : "saved",
          this.dirty ? "Unsaved changes…" : "All changes saved",
        );
      })
      .catch((err) => {
        if (err.status === 409) {
          this.editable = false;
          this.onConflict(err);
        } else {
          this.dirty = true;
          this.lastError = err;
          this.onStatus("error", `Not saved: ${readableError(err.message, sent, variables)}`);
        }
      })
      .finally(() => {
        this.saving = null;
        if (this.again) {
          this.again = false;
          this.flush();
        }
      });
    return this.saving;
  }

  /** Save the page with these variables ([{name, pattern}]); a refusal is thrown (its
   * message readable) and the page keeps the variables it had. */
  async saveVariables(variables) {
    clearTimeout(this.timer);
    while (this.saving) await this.saving;
    const graphsChanged = this.dirty;
    const previous = this.variables;
    this.variables = variables;
    this.dirty = true;
    await this.flush();
    const err = this.lastError;
    if (!err) return;
    this.variables = previous;
    this.dirty = graphsChanged;
    if (graphsChanged) this.flush();
    else this.onStatus("saved", "All changes saved");
    throw new Error(readableError(err.message, [], variables));
  }
}
