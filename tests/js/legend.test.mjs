// Hiding, isolating and naming lines: the legend's pure part.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  drawnLines,
  restartDefinition,
  restartSeries,
  seriesLabel,
  toggleHidden,
  visibleDefinition,
} from "../../static/js/legend.js";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c"];
const LINES = [{ value: "rpm" }, { value: "epm" }, { value: "spr" }];

test("toggleHidden: a click hides or shows, never hides every line", () => {
  assert.deepEqual(toggleHidden(LINES, [], "epm"), ["epm"]);
  assert.deepEqual(toggleHidden(LINES, ["epm"], "epm"), []);
  assert.deepEqual(toggleHidden(LINES, ["epm", "spr"], "rpm"), []);
});

test("toggleHidden: Shift+click shows one line alone, again shows them all", () => {
  assert.deepEqual(toggleHidden(LINES, [], "spr", { isolate: true }), ["rpm", "epm"]);
  assert.deepEqual(toggleHidden(LINES, ["rpm", "epm"], "spr", { isolate: true }), []);
});

test("visibleDefinition: hidden lines left out, implicit lines keep their colours", () => {
  const def = { series: [{ name: "a" }, { name: "b" }, { name: "c" }] };
  assert.equal(visibleDefinition(def, [], PALETTE), def);
  const shown = visibleDefinition(def, ["a"], PALETTE);
  assert.deepEqual(shown.lines, [
    { value: "b", color: "#ff7f0e", legend: "b" },
    { value: "c", color: "#2ca02c", legend: "c" },
  ]);
  assert.equal(drawnLines({ series: [], lines: LINES }, PALETTE), LINES);
  // lines of their own without a colour: each keeps the one of its position
  const own = { lines: [{ value: "a" }, { value: "b" }, { value: "c", color: "#123456" }] };
  assert.deepEqual(visibleDefinition(own, ["a"], PALETTE).lines, [
    { value: "b", color: "#ff7f0e" },
    { value: "c", color: "#123456" },
  ]);
});

test("restart series: direct or behind a pool's aggregate, labelled by instance", () => {
  const pool = {
    series: [
      { name: "start0", path: "tracelog/h1__acme__i1", ds: "start", cf: "MAX" },
      { name: "start1", path: "tracelog/h2__acme__i2", ds: "start", cf: "MAX" },
      { name: "rpm0", path: "tracelog/h1__acme__i1", ds: "rpm" },
    ],
    cdefs: [{ name: "start_all", aggregate: "MAX", of: ["start0", "start1"] }],
    lines: [{ value: "start_all", type: "TICK" }, { value: "rpm0" }],
  };
  const found = restartSeries(pool);
  assert.deepEqual(
    found.map((s) => s.name),
    ["start0", "start1"],
  );
  const def = restartDefinition(found);
  assert.deepEqual(
    def.lines.map((l) => l.legend),
    ["h1/i1", "h2/i2"],
  );
  assert.equal(seriesLabel("metrics/web/cpu"), "metrics/web/cpu");
  assert.deepEqual(restartSeries({ series: pool.series, lines: [{ value: "rpm0" }] }), []);
});
