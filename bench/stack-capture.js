// The Pulumi SDK's per-resource source-position capture (Resource.callsites: `new Error().stack`
// with Error.stackTraceLimit = Infinity, parsed frame by frame), timed at two stack depths in
// this process (and the first capture, which reads the source maps of the files on the stack).
// Run it plain and under ts-node, which installs source-map-support for the whole
// process (as a TypeScript program's `pulumi up` does), to see what running a program as
// precompiled JavaScript saves per resource:
//
//   node bench/stack-capture.js
//   node -r ts-node/register/transpile-only bench/stack-capture.js
const { Resource } = require("@pulumi/pulumi/resource");

const N = 300;
const first = process.hrtime.bigint();
Resource.callsites();
console.log(
  `first capture (source maps read): ${(Number(process.hrtime.bigint() - first) / 1e6).toFixed(1)} ms`,
);
function nest(depth, work) {
  return depth === 0 ? work() : nest(depth - 1, work) + 0;
}
for (const depth of [10, 40]) {
  const capture = (times) => () => {
    for (let i = 0; i < times; i++) Resource.callsites();
    return 0;
  };
  nest(depth, capture(100));
  const start = process.hrtime.bigint();
  nest(depth, capture(N));
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / N;
  console.log(`stack depth ${depth}: ${ms.toFixed(3)} ms per resource`);
}
