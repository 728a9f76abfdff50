// The page state's link codec (static/js/state.js) under Node: a link is someone else's text.
import assert from "node:assert/strict";
import { test } from "node:test";

import "./support/meta.mjs";
import { defaults, parse, PROPERTIES, serialize } from "../../static/js/state.js";

test("the optimizer a page starts with is the server's default", () => {
  assert.deepEqual(defaults().optimizer, { name: globalThis.chainruleMeta.default_optimizer });
  assert.ok(globalThis.chainruleMeta.optimizers.some((o) => o.name === globalThis.chainruleMeta.default_optimizer));
});

test("a link's values are the texts typed, whatever JSON the link carries", () => {
  const state = parse(`v=${encodeURIComponent(JSON.stringify({ x: 3, W: [[1, 2]], s: "2.5", n: null }))}`);
  assert.deepEqual(state.values, { x: "3", W: "[[1,2]]", s: "2.5", n: "null" });
  assert.equal(parse("v=%5B1%2C2%5D").values, undefined); // a list is no set of values
});

test("every property's sample survives the link round trip", () => {
  const state = Object.fromEntries(PROPERTIES.map((p) => [p.name, p.sample(p.default)]));
  const back = { ...defaults(), ...parse(serialize(state, { compress: false })) };
  for (const p of PROPERTIES) assert.deepEqual(back[p.name], state[p.name], p.name);
});
