// BENCH ONLY. Preloaded (NODE_OPTIONS=--require) into the Pulumi program's own node process that
// the test engine starts for `up`/`preview`: prints when the process started and when it exited,
//   bench-program {"origin":…,"exit":…}
// so the benchmark can tell program start-up (node + ts-node + the SDK) from provider work.
const origin = Math.round(performance.timeOrigin);
process.once("exit", () => {
  process.stderr.write(`bench-program ${JSON.stringify({ origin, exit: Date.now() })}\n`);
});
