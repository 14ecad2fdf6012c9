// Dashboard variables: found in definitions, values put in, read from the URL and the files.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applyVariables,
  followCustomer,
  readVariables,
  usedVariables,
  variableValues,
} from "../../static/js/variables.js";

const def = {
  title: "$customer app1/inst1",
  series: [{ name: "rpm", path: "tracelog/${host}__$customer__inst1", ds: "rpm" }],
  lines: [{ value: "rpm", legend: "rpm of $customer" }],
};

test("usedVariables and applyVariables: paths, titles and legends", () => {
  assert.deepEqual(usedVariables([def]), ["customer", "host"]);
  assert.deepEqual(usedVariables([{ title: "plain", series: [] }]), []);
  const shown = applyVariables(def, { customer: "acme", host: "app1" });
  assert.equal(shown.title, "acme app1/inst1");
  assert.equal(shown.series[0].path, "tracelog/app1__acme__inst1");
  assert.equal(shown.lines[0].legend, "rpm of acme");
  assert.equal(def.title, "$customer app1/inst1");
  const plain = { title: "x", series: [] };
  assert.equal(applyVariables(plain, { customer: "acme" }), plain);
});

test("values from the URL and from tracelog stems", () => {
  assert.deepEqual(readVariables("?var-customer=beta&start=-1d&var-other=x"), { customer: "beta" });
  assert.deepEqual(variableValues(["h2__acme__i1", "h1__beta__x", "h1__acme__i2", "bad"]), {
    customer: ["acme", "beta"],
    host: ["h1", "h2"],
  });
});

test("followCustomer: an instance graph's customer becomes $customer", () => {
  const graph = {
    title: "acme app1/inst1",
    series: [
      { name: "rpm", path: "tracelog/app1__acme__inst1", ds: "rpm" },
      { name: "epm", path: "tracelog/app1__acme__inst1", ds: "epm" },
    ],
  };
  const followed = followCustomer(graph);
  assert.equal(followed.title, "$customer app1/inst1");
  assert.deepEqual(
    followed.series.map((s) => s.path),
    ["tracelog/app1__$customer__inst1", "tracelog/app1__$customer__inst1"],
  );
  const two = { series: [{ path: "tracelog/a__x__1" }, { path: "tracelog/a__y__1" }] };
  assert.equal(followCustomer(two), two);
});
