// Zoom out, compare offsets, range names and export file names.

import assert from "node:assert/strict";
import { test } from "node:test";

import { fileName } from "../../static/js/cardtools.js";
import { describe, formatOffset, parseOffset, zoomOutView } from "../../static/js/timerange.js";

test("offsets: any unit, with or without the minus sign", () => {
  assert.equal(parseOffset("-2w"), 14 * 86400);
  assert.equal(parseOffset("1mon"), 30 * 86400);
  assert.equal(parseOffset(" 36h "), 36 * 3600);
  assert.equal(parseOffset("-2 fortnights"), null);
  assert.equal(parseOffset("soon"), null);
  assert.equal(formatOffset(14 * 86400), "-2w");
  assert.equal(formatOffset(30 * 86400), "-1mon");
  assert.equal(formatOffset(5400), "-90m");
});

test("zoomOutView: twice the range around its middle, never past now", () => {
  const now = 1_700_000_000;
  assert.deepEqual(zoomOutView({ start: "-1d", end: "now" }, now), {
    start: "-172800s",
    end: "now",
  });
  const past = zoomOutView({ start: String(now - 7200), end: String(now - 3600) }, now);
  assert.deepEqual(past, { start: String(now - 9000), end: String(now - 1800) });
  assert.equal(describe({ start: "-172800s", end: "now" }), "last 2d");
  assert.equal(describe({ start: "-7d", end: "now" }), "last 1w");
});

test("fileName: the graph's title, safe for a file", () => {
  assert.equal(fileName("acme app1/inst1", "csv"), "acme_app1_inst1.csv");
  assert.equal(
    fileName("All instances: acme (3 instances)", "csv"),
    "All_instances_acme_3_instances.csv",
  );
  assert.equal(fileName("", "csv"), "graph.csv");
  assert.equal(fileName("../../etc", "png"), "etc.png");
});
