// Times shown and entered in the viewer's zone, whatever the zone Node runs in.

import assert from "node:assert/strict";
import { test } from "node:test";

import { loadPrefs, savePrefs, validZone, zoneChoices } from "../../static/js/prefs.js";
import {
  currentZone,
  fromLocalInput,
  setZone,
  stamp,
  toLocalInput,
  zoneOffset,
} from "../../static/js/timerange.js";

// 2023-11-14T22:13:20Z
const EPOCH = 1700000000;

test("stamp and the datetime-local value are the wall clock of the zone", () => {
  assert.equal(stamp(EPOCH, "UTC"), "2023-11-14 22:13");
  assert.equal(stamp(EPOCH, "America/New_York"), "2023-11-14 17:13");
  assert.equal(stamp(EPOCH, "Asia/Kolkata"), "2023-11-15 03:43");
  assert.equal(toLocalInput(EPOCH, "Asia/Kolkata"), "2023-11-15T03:43");
  assert.equal(zoneOffset(EPOCH, "America/New_York"), -5 * 3600);
});

test("fromLocalInput reads the wall clock in the zone, across DST changes", () => {
  assert.equal(fromLocalInput("2023-11-14T17:13:20", "America/New_York"), String(EPOCH));
  assert.equal(fromLocalInput("2023-11-15T03:43:20", "Asia/Kolkata"), String(EPOCH));
  // summer time: New York is UTC-4 on July 1st
  assert.equal(fromLocalInput("2023-07-01T08:00", "America/New_York"), "1688212800");
  for (const zone of ["UTC", "Europe/Paris", "Australia/Adelaide"])
    assert.equal(fromLocalInput(toLocalInput(EPOCH - 20, zone), zone), String(EPOCH - 20));
  assert.equal(fromLocalInput("not a time", "UTC"), null);
});

test("the page's zone: set, and back to the browser's", () => {
  setZone("Asia/Tokyo");
  assert.equal(currentZone(), "Asia/Tokyo");
  assert.equal(stamp(EPOCH), "2023-11-15 07:13");
  setZone("");
  assert.equal(currentZone(), Intl.DateTimeFormat().resolvedOptions().timeZone);
});

test("preferences per user: saved, read back, bad values replaced by defaults", () => {
  const items = new Map();
  const storage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v) };
  assert.deepEqual(loadPrefs("ann", storage), { zone: "", theme: "light" });
  savePrefs("ann", storage, { zone: "Europe/Paris", theme: "dark" });
  assert.deepEqual(loadPrefs("ann", storage), { zone: "Europe/Paris", theme: "dark" });
  assert.deepEqual(loadPrefs("bob", storage), { zone: "", theme: "light" });
  items.set("graphmetrics.prefs.bob", '{"zone": "Mars/Base", "theme": "neon"}');
  assert.deepEqual(loadPrefs("bob", storage), { zone: "", theme: "light" });
  items.set("graphmetrics.prefs.bob", "{not json");
  assert.deepEqual(loadPrefs("bob", storage), { zone: "", theme: "light" });
  assert.ok(validZone("America/New_York") && !validZone("Nowhere/Land"));
  const choices = zoneChoices().map(([value]) => value);
  assert.deepEqual(choices.slice(0, 2), ["", "UTC"]);
  assert.ok(choices.includes("America/New_York"));
});
