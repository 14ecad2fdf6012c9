// Dashboard variables: found in definitions, values put in, read from the URL and the files.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BUILTINS,
  applyVariables,
  chooseValue,
  declarations,
  followCustomer,
  pageVariables,
  readVariables,
  splitReferences,
  usedVariables,
  valuesQuery,
} from "../../static/js/variables.js";
import { readableError } from "../../static/js/pagestore.js";

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

test("values from the URL, for the variables named", () => {
  assert.deepEqual(readVariables("?var-customer=beta&start=-1d&var-other=x"), { customer: "beta" });
  assert.deepEqual(readVariables("?var-env=prod&var-other=x&var-svc=", ["env", "svc"]), {
    env: "prod",
  });
});

const env = { name: "env", pattern: "metrics/$env/*" };
const service = { name: "service", pattern: "metrics/$env/$service/*" };
const cpu = {
  title: "cpu of $service in ${env}",
  vlabel: "$env %",
  series: [{ name: "a", path: "metrics/$env/$service/cpu", ds: "value" }],
  lines: [{ value: "a", legend: "$service" }],
};

test("declared variables: used by name, the longest name first, ${name} braced", () => {
  assert.deepEqual(usedVariables([cpu], ["service", "env", "host"]), ["service", "env"]);
  assert.deepEqual(splitReferences("m/$envx/${env}x/$foo/$", ["env", "envx"]), [
    "m/",
    { name: "envx" },
    "/",
    { name: "env" },
    "x/$foo/$",
  ]);
  const shown = applyVariables(cpu, { env: "prod", service: "web" });
  assert.equal(shown.title, "cpu of web in prod");
  assert.equal(shown.vlabel, "prod %");
  assert.equal(shown.series[0].path, "metrics/prod/web/cpu");
  assert.equal(shown.lines[0].legend, "web");
  // a variable without a value stays as it is written
  assert.equal(applyVariables(cpu, { env: "prod" }).title, "cpu of $service in prod");
});

test("pageVariables: the declared ones, then the built-ins the graphs use", () => {
  assert.deepEqual(pageVariables([env, service], [cpu]), [env, service]);
  assert.deepEqual(pageVariables([], [cpu]), []);
  assert.deepEqual(pageVariables([env], [def]), [env, ...BUILTINS]);
  const mine = { name: "customer", pattern: "tracelog/$customer__*" };
  assert.deepEqual(pageVariables([mine], [def]), [mine, BUILTINS[1]]);
  assert.deepEqual(pageVariables([], [{ title: "$customer" }]), [BUILTINS[0]]);
});

test("valuesQuery names the earlier variables' values; chooseValue keeps a listed one", () => {
  const query = valuesQuery(service, ["env"], { env: "prod", service: "db" });
  assert.equal(
    query.toString(),
    "pattern=metrics%2F%24env%2F%24service%2F*&name=service&var-env=prod",
  );
  assert.equal(valuesQuery(env, [], {}).toString(), "pattern=metrics%2F%24env%2F*&name=env");
  assert.equal(valuesQuery(service, ["env"], {}).get("var-env"), "");
  assert.equal(chooseValue("db", ["db", "web"]), "db");
  assert.equal(chooseValue("cache", ["db", "web"]), "db");
  assert.equal(chooseValue("cache", ["db", "web"], { keep: true }), "cache");
  assert.equal(chooseValue("", ["db"], { keep: true }), "db");
  assert.equal(chooseValue("cache", []), "");
});

test("the editor's rows: blank ones left out, trimmed", () => {
  assert.deepEqual(
    declarations([
      { name: " env ", pattern: " metrics/$env/* " },
      { name: "", pattern: "" },
      { name: "x", pattern: "" },
    ]),
    [
      { name: "env", pattern: "metrics/$env/*" },
      { name: "x", pattern: "" },
    ],
  );
});

test("a refused variable is said by its number and name", () => {
  assert.equal(
    readableError("variables[1].pattern: must use $service once", [], [env, service]),
    "variable 2 ($service), pattern: must use $service once",
  );
  assert.equal(
    readableError("variables: at most 10 variables, got 11", [], []),
    "variables: at most 10 variables, got 11",
  );
  assert.equal(
    readableError("variables[4] must be an object", [], []).startsWith("variables[4]"),
    true,
  );
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
