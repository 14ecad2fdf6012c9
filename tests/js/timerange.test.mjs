// The time-range logic of static/js/timerange.js under Node's test runner (make test).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_VIEW,
  PRESETS,
  bounds,
  describe,
  fromLocalInput,
  normalise,
  rangeOf,
  rangeParams,
  resolve,
  sameView,
  toLocalInput,
  zoomView,
} from "../../static/js/timerange.js";

const NOW = 1_800_000_000;
// epoch seconds of a local wall-clock time, so the tests pass in any time zone
const local = (y, mo, d, h, mi) => new Date(y, mo - 1, d, h, mi).getTime() / 1000;

test("normalise fills in the default range", () => {
  for (const view of [undefined, null, {}, { start: "", end: "" }]) {
    assert.deepEqual(normalise(view), { start: "-1d", end: "now" });
  }
  assert.deepEqual(normalise({ start: "-7d" }), { start: "-7d", end: "now" });
  assert.deepEqual(DEFAULT_VIEW, { start: "-1d", end: "now" });
  assert.ok(Object.isFrozen(DEFAULT_VIEW));
});

test("normalise: a trail wins over start and end, and is a number", () => {
  assert.deepEqual(normalise({ trail: "6", start: "-1d", end: "now" }), { trail: 6 });
  assert.deepEqual(normalise({ trail: 0, start: "-1h" }), { start: "-1h", end: "now" });
});

test("normalise keeps step and height, as numbers", () => {
  assert.deepEqual(normalise({ start: "-1h", end: "now", step: "300", height: "400" }), {
    start: "-1h",
    end: "now",
    step: 300,
    height: 400,
  });
  assert.deepEqual(normalise({ trail: 2, step: 60 }), { trail: 2, step: 60 });
});

test("rangeOf keeps only the range", () => {
  assert.deepEqual(rangeOf({ start: "-1h", end: "now", step: 60, height: 300 }), {
    start: "-1h",
    end: "now",
  });
  assert.deepEqual(rangeOf({ trail: "3", step: 60 }), { trail: 3 });
  assert.deepEqual(rangeOf(undefined), { start: "-1d", end: "now" });
});

test("sameView compares range and step, not height", () => {
  assert.ok(sameView({}, { start: "-1d", end: "now" }));
  assert.ok(sameView({ trail: "6" }, { trail: 6 }));
  assert.ok(sameView({ start: "-1h", height: 200 }, { start: "-1h", end: "now", height: 500 }));
  assert.ok(!sameView({ start: "-1h", step: 60 }, { start: "-1h" }));
  assert.ok(!sameView({ trail: 1 }, { start: "-1h", end: "now" }));
  assert.ok(!sameView({ start: "-1h", end: "now" }, { start: "-1h", end: "-5m" }));
});

test("rangeParams: the render query's parameters, as strings", () => {
  assert.deepEqual(rangeParams({}), { start: "-1d", end: "now" });
  assert.deepEqual(rangeParams({ trail: 6, step: 300, height: 500 }), { trail: "6", step: "300" });
  assert.deepEqual(rangeParams({ start: "1700000000", end: "1700003600", step: 60 }), {
    start: "1700000000",
    end: "1700003600",
    step: "60",
  });
});

test("resolve: now, epochs and relative specs", () => {
  assert.equal(resolve("now", NOW), NOW);
  assert.equal(resolve("", NOW), NOW);
  assert.equal(resolve("  NOW ", NOW), NOW);
  assert.equal(resolve("1700000000", NOW), 1_700_000_000);
  assert.equal(resolve(1_700_000_000, NOW), 1_700_000_000);
  const cases = [
    ["-10s", -10],
    ["-10sec", -10],
    ["-5m", -300],
    ["+30min", 1800],
    ["-1h", -3600],
    ["now-2d", -2 * 86400],
    ["-1w", -604800],
    ["-1mon", -2_592_000],
    ["-1y", -31_536_000],
    ["-1D", -86400],
  ];
  for (const [spec, offset] of cases) assert.equal(resolve(spec, NOW), NOW + offset, spec);
});

test("resolve: dates, and NaN for what it does not understand", () => {
  assert.equal(resolve("2027-01-15T08:00:00Z", NOW), Date.UTC(2027, 0, 15, 8) / 1000);
  assert.equal(resolve("2027-01-15T08:00", NOW), local(2027, 1, 15, 8, 0));
  for (const spec of ["yesterday", "-3x", "-h", "1d"])
    assert.ok(Number.isNaN(resolve(spec, NOW)), spec);
});

test("bounds: a trail ends now, a start is relative to the end", () => {
  assert.deepEqual(bounds({ trail: 6 }, NOW), [NOW - 6 * 3600, NOW]);
  assert.deepEqual(bounds({}, NOW), [NOW - 86400, NOW]);
  assert.deepEqual(
    bounds({ start: "-1h", end: "1700000000" }, NOW),
    [1_699_996_400, 1_700_000_000],
  );
  assert.deepEqual(bounds({ start: "-2h", end: "-1h" }, NOW), [NOW - 3 * 3600, NOW - 3600]);
  const [start, end] = bounds({ start: "soon", end: "now" }, NOW);
  assert.ok(Number.isNaN(start));
  assert.equal(end, NOW);
});

test("describe: presets, trails, and the range's local times", () => {
  for (const [label, start] of PRESETS)
    assert.equal(describe({ start, end: "now" }), `last ${label}`);
  assert.equal(describe({}), "last 1d");
  assert.equal(describe({ trail: 6 }), "trail: last 6 h, follows now");
  const from = local(2027, 3, 4, 5, 6);
  const to = local(2027, 3, 5, 17, 45);
  assert.equal(
    describe({ start: String(from), end: String(to) }),
    "2027-03-04 05:06 → 2027-03-05 17:45",
  );
  assert.equal(describe({ start: "-1d", end: String(to) }), "2027-03-04 17:45 → 2027-03-05 17:45");
  assert.equal(describe({ start: "soon", end: "later" }), "soon → later");
});

test("datetime-local inputs: to and from epoch seconds", () => {
  const epoch = local(2027, 12, 31, 23, 59);
  assert.equal(toLocalInput(epoch), "2027-12-31T23:59");
  assert.equal(toLocalInput(local(2027, 1, 2, 3, 4) + 59), "2027-01-02T03:04");
  assert.equal(fromLocalInput("2027-12-31T23:59"), String(epoch));
  assert.equal(fromLocalInput(toLocalInput(epoch)), String(epoch));
  assert.equal(fromLocalInput(""), null);
  assert.equal(fromLocalInput("not a date"), null);
});

test("zoomView: the dragged pixels' times, clamped to the plot", () => {
  // 10 s a pixel, the plot from x=50 to x=550
  const area = { left: 50, width: 500, start: 1_000_000, end: 1_005_000 };
  assert.deepEqual(zoomView(area, 100, 200), { start: "1000500", end: "1001500" });
  assert.deepEqual(zoomView(area, 0, 1000), { start: "1000000", end: "1005000" });
  assert.deepEqual(zoomView(area, 540, 600), { start: "1004900", end: "1005000" });
  assert.deepEqual(zoomView(area, 100.04, 106.04), { start: "1000500", end: "1000560" });
});

test("zoomView: under a minute is a click, not a zoom", () => {
  const area = { left: 50, width: 500, start: 1_000_000, end: 1_005_000 };
  assert.equal(zoomView(area, 100, 105), null);
  assert.equal(zoomView(area, 600, 700), null);
  assert.equal(zoomView(area, 0, 40), null);
});
