// The tracelog dashboard: the instance menu adds graphs built by the server.

import { api, readConfig } from "./api.js";
import { setSlowestBase } from "./graphcard.js";
import { GraphSettings } from "./graphsettings.js";
import { InstanceMenu } from "./menu.js";
import { PageApp } from "./page.js";
import { DEFAULT_VIEW } from "./timerange.js";

setSlowestBase(readConfig().urls.slowest);
let settings = null;
const app = new PageApp({ onEdit: (card) => settings.open(card) });
settings = new GraphSettings(document.getElementById("editor"), app);
app.onEscape = () => {
  if (!settings.card) return false;
  settings.close();
  return true;
};
app.onReset = () => {
  settings.redraw = null;
  settings.close();
};
const originalRemove = app.remove.bind(app);
app.remove = (card) => {
  if (settings.card === card) {
    settings.redraw = null;
    settings.close();
  }
  originalRemove(card);
};
const menuRoot = document.getElementById("menu");

if (menuRoot) {
  new InstanceMenu(menuRoot, {
    url: app.config.urls.tracelog_menu,
    poolKinds: app.config.pool_kinds,
    customerPoolKinds: app.config.customer_pool_kinds,
    onError: (err) => app.say(`Cannot load the instance menu: ${err.message}`, "error"),
  }).start();
}

menuRoot?.addEventListener("click", async (ev) => {
  const button = ev.target.closest("button.add");
  if (!button) return;
  const params = new URLSearchParams();
  for (const key of ["kind", "instance", "customer", "host"]) {
    if (button.dataset[key]) params.set(key, button.dataset[key]);
  }
  button.disabled = true;
  try {
    const {
      definition,
      definitions = [definition],
      split,
    } = await api(`${app.config.urls.tracelog_graph}?${params}`);
    for (const def of definitions)
      app.add({ id: null, definition: def, view: { ...DEFAULT_VIEW } });
    if (split) {
      app.say(
        `That pool is too big for one graph: it was split over ${definitions.length} graphs, each title says which instances it shows.`,
      );
    }
  } catch (err) {
    app.say(`Cannot add the graph: ${err.message}`, "error");
  } finally {
    button.disabled = false;
  }
});
