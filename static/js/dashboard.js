// The tracelog dashboard: the instance menu adds graphs built by the server.

import { api } from "./api.js";
import { InstanceMenu } from "./menu.js";
import { PageApp } from "./page.js";
import { DEFAULT_VIEW } from "./timerange.js";

const app = new PageApp();
const menuRoot = document.getElementById("menu");

if (menuRoot) {
  new InstanceMenu(menuRoot, {
    url: app.config.urls.tracelog_menu,
    poolKinds: app.config.pool_kinds,
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
    const { definition } = await api(`${app.config.urls.tracelog_graph}?${params}`);
    app.add({ id: null, definition, view: { ...DEFAULT_VIEW } });
  } catch (err) {
    app.say(`Cannot add the graph: ${err.message}`, "error");
  } finally {
    button.disabled = false;
  }
});
