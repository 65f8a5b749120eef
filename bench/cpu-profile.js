// BENCH ONLY. Preloaded (NODE_OPTIONS=--require) into a benchmark run's processes when
// $BENCH_CPU_PROFILE_DIR is set (bench.ts --cpu-profile DIR): in the SDK's dynamic-provider
// process and in test/cli/run-program.ts (the program's process) it runs V8's sampling profiler
// from the start and writes <DIR>/<role>-<pid>.cpuprofile when the process exits (the provider
// exits through bench/trace-provider.js's SIGINT handler). `node --cpu-prof` does the same but
// is not allowed in NODE_OPTIONS. bench/cpu-summary.ts reads the files.

const dir = process.env.BENCH_CPU_PROFILE_DIR;
const script = process.argv[1] ?? "";
const role = /cmd[/\\]dynamic-provider([/\\]index\.js)?$/.test(script)
  ? "provider"
  : /run-program\.ts$/.test(script)
    ? "program"
    : undefined;

if (dir && role) {
  const inspector = require("node:inspector");
  const { mkdirSync, writeFileSync } = require("node:fs");
  const path = require("node:path");
  const session = new inspector.Session();
  session.connect();
  // 100 µs between samples (V8's default is 1 ms): enough samples for a run of a few seconds.
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 100 });
  session.post("Profiler.start");
  let written = false;
  process.once("exit", () => {
    if (written) return;
    written = true;
    // An in-thread session answers synchronously.
    session.post("Profiler.stop", (error, result) => {
      if (error || !result) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, `${role}-${process.pid}.cpuprofile`),
        JSON.stringify(result.profile),
      );
    });
  });
}
