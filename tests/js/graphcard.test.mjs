// The pure exports of the graph card and settings modules: their imports touch no DOM.

import assert from "node:assert/strict";
import { test } from "node:test";

import { lineColors, renderUrl, slowestScope, slowestUrl } from "../../static/js/graphcard.js";
import { instanceOf } from "../../static/js/graphsettings.js";

// The page config's `colors.palette` (rrd/layout.py).
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

const definition = { title: "cpu", series: [{ name: "s1", path: "metrics/web1/cpu", ds: "data" }] };

test("renderUrl: the definition as JSON and the view's range", () => {
  const url = renderUrl("/render", { definition, view: { trail: 6, step: 60 } }, { width: 800 });
  const [base, query] = url.split("?");
  assert.equal(base, "/render");
  const params = new URLSearchParams(query);
  assert.deepEqual(JSON.parse(params.get("graph")), definition);
  assert.equal(params.get("trail"), "6");
  assert.equal(params.get("step"), "60");
  assert.equal(params.get("width"), "800");
  assert.equal(params.get("format"), null);
  assert.equal(params.get("height"), null);
});

test("renderUrl: another format, and the default range", () => {
  const params = new URLSearchParams(
    renderUrl("/r", { definition, view: {} }, { format: "csv", height: 300 }).split("?")[1],
  );
  assert.equal(params.get("format"), "csv");
  assert.equal(params.get("start"), "-1d");
  assert.equal(params.get("end"), "now");
  assert.equal(params.get("height"), "300");
});

test("lineColors: drawn lines' colours, then the past's copies", () => {
  assert.deepEqual(lineColors(definition, PALETTE), ["#1f77b4"]);
  const def = {
    series: [],
    compare: 86400,
    lines: [
      { value: "a", color: "#11223380" },
      { value: "b", type: "HRULE", color: "#000000" },
      { value: "c", type: "TICK" },
      { value: "d", type: "AREA", color: "#445566" },
    ],
  };
  assert.deepEqual(lineColors(def, PALETTE), [
    "#112233",
    "#2ca02c",
    "#445566",
    "#112233",
    "#445566",
  ]);
});

test("instanceOf: the tracelog instance a graph shows, or null", () => {
  const one = (path) => ({ series: [{ path }, { path }] });
  assert.equal(instanceOf(one("tracelog/web1__acme__api")), "web1__acme__api");
  assert.equal(instanceOf(one("tracelog/web1__acme")), null);
  assert.equal(instanceOf(one("metrics/a__b__c")), null);
  assert.equal(
    instanceOf({ series: [{ path: "tracelog/a__b__c" }, { path: "tracelog/a__b__d" }] }),
    null,
  );
  assert.equal(instanceOf({}), null);
});

const traced = (...stems) => ({
  series: stems.map((stem, i) => ({ name: `s${i}`, path: `tracelog/${stem}`, ds: "p99" })),
});

test("slowestScope: one instance, one host's or one customer's pool, else none", () => {
  assert.deepEqual(slowestScope(traced("app1__acme__i1", "app1__acme__i1")), {
    instance: "app1__acme__i1",
  });
  assert.deepEqual(slowestScope(traced("app1__acme__i1", "app1__acme__i2")), {
    customer: "acme",
    host: "app1",
  });
  assert.deepEqual(slowestScope(traced("app1__acme__i1", "app2__acme__i1")), {
    customer: "acme",
  });
  assert.equal(slowestScope(traced("app1__acme__i1", "app1__beta__i1")), null);
  assert.equal(slowestScope(definition), null);
  assert.equal(slowestScope(traced("$host__acme__i1")), null);
});

test("slowestScope: a customer's pool file is that customer's requests", () => {
  const pool = (...customers) => ({
    series: customers.map((c, i) => ({ name: `s${i}`, path: `pool/${c}`, ds: "p99" })),
  });
  assert.deepEqual(slowestScope(pool("acme")), { customer: "acme" });
  assert.deepEqual(slowestScope(pool("acme", "acme")), { customer: "acme" });
  assert.equal(slowestScope(pool("acme", "beta")), null);
  const mixed = traced("app1__acme__i1");
  mixed.series.push({ name: "p", path: "pool/acme", ds: "p99" });
  assert.deepEqual(slowestScope(mixed), { customer: "acme" });
  mixed.series.push({ name: "q", path: "pool/beta", ds: "p99" });
  assert.equal(slowestScope(mixed), null);
});

test("slowestUrl: the minute holding the time, in the page's zone; none without a page", () => {
  const url = slowestUrl("/slowest", traced("app1__acme__i1"), 1700000095.5, "Europe/Paris");
  const [base, query] = url.split("?");
  assert.equal(base, "/slowest");
  const params = new URLSearchParams(query);
  assert.equal(params.get("instance"), "app1__acme__i1");
  assert.equal(params.get("start"), "1700000040");
  assert.equal(params.get("end"), "1700000100");
  assert.equal(params.get("tz"), "Europe/Paris");
  // a pixel of 200 s: the whole minutes it touches
  const wide = new URLSearchParams(
    slowestUrl("/slowest", traced("app1__acme__i1"), 1700000095, "", 200).split("?")[1],
  );
  assert.equal(wide.get("start"), "1699999980");
  assert.equal(wide.get("end"), "1700000220");
  assert.equal(wide.get("tz"), null);
  assert.equal(slowestUrl("", traced("app1__acme__i1"), 1700000095), null);
  assert.equal(slowestUrl("/slowest", definition, 1700000095), null);
});
