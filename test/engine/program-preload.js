// TEST ENGINE — not shipped. Preloaded (node --require) into the program process. One workaround,
// nothing else: Node 20.20's util.inspect(err, { colors: true }) loops until it throws RangeError
// (~16 s, sometimes out of memory) when a stack line ends in `node_modules/@scope/file.ts:L:C)`,
// which the SDK's source maps produce (`node_modules/@pulumi/resource.ts`). The SDK prints a
// failed registration with exactly that call, then falls back to inspect without colours; this
// goes straight to the fallback. The Pulumi CLI does not do this (it would be slow the same way).

const util = require("node:util");

const SCOPED_FILE_LINE = /[/\\]node_modules[/\\]@[^/\\\n]+[/\\][^/\\\n]*$/m;
const original = util.inspect;

function inspect(value, options, ...rest) {
  const colored = options !== null && typeof options === "object" && options.colors === true;
  if (colored && value instanceof Error && SCOPED_FILE_LINE.test(String(value.stack))) {
    return original.call(this, value, { ...options, colors: false }, ...rest);
  }
  return original.call(this, value, options, ...rest);
}

for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(original))) {
  if (key !== "length" && key !== "name" && key !== "prototype") {
    Object.defineProperty(inspect, key, descriptor);
  }
}
util.inspect = inspect;
