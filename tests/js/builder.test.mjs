// The metrics builder's pure helpers (static/js/builder.js): legends, names, aggregates.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addAggregate,
  autoLabels,
  defaultTitle,
  freshName,
  names,
  nextColor,
  pinColors,
  pruneDefinition,
} from "../../static/js/builder.js";

// What the page config's `colors` holds (rrd/layout.py).
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
const COLORS = { palette: PALETTE, restart: "#9467bd59" };

const series = (name, path, ds = "data") => ({ name, path, ds, cf: "AVERAGE" });

function graph(list) {
  return {
    series: list,
    cdefs: [],
    lines: list.map((s) => ({ value: s.name, type: "LINE", legend: "" })),
  };
}

test("autoLabels: the last segment and the DS when those tell the series apart", () => {
  const list = [series("s1", "metrics/web1/cpu"), series("s2", "metrics/web1/load", "load1")];
  assert.deepEqual(autoLabels(list), ["cpu:data", "load:load1"]);
});

test("autoLabels: otherwise the middle part that differs", () => {
  const hosts = ["web1", "web2", "db1"].map((h, i) =>
    series(`s${i}`, `metrics/${h}/cimaa/load/load1`),
  );
  assert.deepEqual(autoLabels(hosts), ["web1", "web2", "db1"]);
  const deep = [series("a", "metrics/web1/disk/sda"), series("b", "metrics/web1/net/sda")];
  assert.deepEqual(autoLabels(deep), ["disk", "net"]);
});

test("autoLabels: a shared DS is cut like a shared segment", () => {
  const list = [series("a", "metrics/web1/cpu", "user"), series("b", "metrics/web2/cpu", "user")];
  assert.deepEqual(autoLabels(list), ["web1", "web2"]);
  const same = [series("a", "metrics/web1/cpu"), series("b", "metrics/web1/cpu")];
  assert.deepEqual(autoLabels(same), ["data", "data"]);
  assert.deepEqual(autoLabels([]), []);
});

test("names and freshName", () => {
  const def = graph([series("s1", "metrics/a"), series("s3", "metrics/b")]);
  def.cdefs.push({ name: "c1", rpn: "s1,2,*" });
  assert.deepEqual(names(def), ["s1", "s3", "c1"]);
  assert.equal(freshName(def, "s"), "s2");
  assert.equal(freshName(def, "c"), "c2");
  assert.equal(freshName(def, "total"), "total1");
  assert.equal(freshName({ series: [] }, "s"), "s1");
});

test("addAggregate: one line of the total replaces the series' lines", () => {
  const list = ["web1", "web2", "db1"].map((h, i) => series(`s${i + 1}`, `metrics/${h}/cpu`));
  const def = graph(list);
  def.lines.push({ value: "", type: "HRULE" });
  assert.equal(addAggregate(def, list.slice(0, 2), "TOTAL", "Total", COLORS), "total1");
  assert.deepEqual(def.cdefs, [{ name: "total1", aggregate: "TOTAL", of: ["s1", "s2"] }]);
  assert.deepEqual(
    def.lines.map((l) => l.value),
    ["s3", "", "total1"],
  );
  assert.deepEqual(def.lines[2], {
    value: "total1",
    type: "LINE",
    width: 2,
    // the first colour free once the series' lines are gone (s3 keeps PALETTE[2])
    color: PALETTE[0],
    legend: "Total cpu (2 series)",
    dash: false,
    stack: false,
  });
});

test("addAggregate: the legend names the DS when the leaves differ, else 'series'", () => {
  const byDs = [series("a", "metrics/web1/cpu", "user"), series("b", "metrics/web1/load", "user")];
  const def = graph(byDs);
  addAggregate(def, byDs, "MAX", "Max", COLORS);
  assert.equal(def.lines.at(-1).legend, "Max user (2 series)");
  const mixed = [series("a", "metrics/web1/cpu", "user"), series("b", "metrics/web1/load", "x")];
  const other = graph(mixed);
  addAggregate(other, mixed, "AVERAGE", "Average", COLORS);
  assert.equal(other.lines.at(-1).legend, "Average series (2 series)");
  assert.equal(other.cdefs[0].name, "average1");
});

test("addAggregate: a custom RPN adds the series up, unknowns left out", () => {
  const list = [series("s1", "metrics/a"), series("s2", "metrics/b"), series("s3", "metrics/c")];
  const def = graph(list);
  assert.equal(addAggregate(def, list, "RPN", "", COLORS), "expr1");
  assert.deepEqual(def.cdefs, [{ name: "expr1", rpn: "s1,s2,ADDNAN,s3,ADDNAN" }]);
  assert.equal(def.lines.length, 1);
  assert.equal(def.lines[0].legend, "expr1");
  assert.equal(def.lines[0].color, PALETTE[0]);
});

test("addAggregate: restarts (the 'start' DS) stay ticks", () => {
  const list = [series("s1", "tracelog/a", "start"), series("s2", "tracelog/b", "start")];
  const def = graph(list);
  addAggregate(def, list, "TOTAL", "Total", COLORS);
  assert.deepEqual(def.lines, [
    { value: "total1", type: "TICK", color: "#9467bd59", legend: "restart", fraction: 1 },
  ]);
});

test("pruneDefinition: removed names leave aggregates and lines", () => {
  const def = {
    series: [series("s1", "metrics/a")],
    cdefs: [
      { name: "total1", aggregate: "TOTAL", of: ["s1", "s2"] },
      { name: "max1", aggregate: "MAX", of: ["s2"] },
      { name: "c1", rpn: "total1,2,*" },
    ],
    lines: [
      { value: "s1" },
      { value: "s2" },
      { value: "max1" },
      { value: "c1" },
      { value: "", type: "LINE" },
      { value: "gone", type: "HRULE" },
    ],
  };
  pruneDefinition(def);
  assert.deepEqual(def.cdefs, [
    { name: "total1", aggregate: "TOTAL", of: ["s1"] },
    { name: "c1", rpn: "total1,2,*" },
  ]);
  assert.deepEqual(
    def.lines.map((l) => l.value),
    ["s1", "c1", "", "gone"],
  );
  const bare = { series: [] };
  pruneDefinition(bare);
  assert.deepEqual(bare, { series: [], cdefs: [], lines: [] });
});

test("nextColor: the first colour no line uses, so a removal leaves no duplicate", () => {
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c"];
  assert.equal(nextColor({ lines: [] }, palette), "#1f77b4");
  const def = { lines: [{ color: "#1f77b4" }, { color: "#2ca02c" }] };
  assert.equal(nextColor(def, palette), "#ff7f0e");
  const full = { lines: palette.map((color) => ({ color })) };
  assert.equal(nextColor(full, palette), "#1f77b4");
});

test("defaultTitle: one series' path, or what several share", () => {
  assert.equal(defaultTitle([{ path: "metrics/web/cpu" }]), "web/cpu");
  const hosts = ["db1", "web1", "web2"].map((h) => ({ path: `metrics/${h}/cimaa/load/load1` }));
  assert.equal(defaultTitle(hosts), "*/cimaa/load/load1, 3 series");
  const two = [{ path: "metrics/web/cpu" }, { path: "metrics/web/load" }];
  assert.equal(defaultTitle(two), "web/*, 2 series");
});

test("readableError: the save API's paths said with the graph's title and names", async () => {
  const { readableError } = await import("../../static/js/pagestore.js");
  const graphs = [
    { definition: { title: "cpu", cdefs: [{ name: "a" }, { name: "total1" }] } },
    { definition: { lines: [{ value: "s1" }] } },
  ];
  assert.equal(
    readableError("graphs[0].definition.cdefs[1].rpn: token 2 'X' is unknown", graphs),
    "graph “cpu”, CDEF total1 (rpn): token 2 'X' is unknown",
  );
  assert.equal(
    readableError("graphs[1].definition.lines[0].value: not a name", graphs),
    "graph “number 2”, line s1 (value): not a name",
  );
  assert.equal(
    readableError("graphs[0].definition.series: needs at least one series", graphs),
    "graph “cpu”, series: needs at least one series",
  );
  assert.equal(readableError("page is full", graphs), "page is full");
});

test("pinColors: lines drawn by position get that colour written out, others keep theirs", () => {
  const lines = [{ value: "a" }, { value: "b", color: "#123456" }, { value: "c" }];
  pinColors(lines, PALETTE);
  assert.deepEqual(
    lines.map((l) => l.color),
    ["#1f77b4", "#123456", "#2ca02c"],
  );
});
