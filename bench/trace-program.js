// BENCH ONLY. Preloaded (NODE_OPTIONS=--require) into the processes of a benchmark run; acts only
// in test/cli/run-program.ts, the process that runs the Pulumi program through the Automation
// API (the program runs there, not in a process the CLI starts). Records when that process
// started and exited, and every `pulumi` command the Automation API runs from it (pulumi version,
// stack select, the operation itself, stack output, stack history…): its first two arguments,
// spawn and exit times. On exit appends one line to the run's probe log, synchronously:
//   bench-program {"origin":…,"exit":…,"commands":[{"args":"up","t0":…,"t1":…},…]}
// All times are Date.now() milliseconds, comparable with the benchmark driver's clock.

const path = require("node:path");

const probeLog = process.env.PULUMI_MCP_TEST_PROBE_LOG;
const isRunner = /run-program\.ts$/.test(process.argv[1] ?? "");

if (probeLog && isRunner) {
  const childProcess = require("node:child_process");
  const record = { origin: Math.round(performance.timeOrigin), commands: [] };
  // The Automation API runs the CLI with execa 5, which calls child_process.spawn.
  const spawn = childProcess.spawn;
  childProcess.spawn = function benchSpawn(file, args, ...rest) {
    const child = spawn.call(this, file, args, ...rest);
    if (path.basename(String(file)) === "pulumi" && Array.isArray(args)) {
      const event = {
        // "up", "preview", "version", "stack select", "stack output", …
        args: ["stack", "config", "plugin"].includes(args[0])
          ? `${args[0]} ${args[1]}`
          : String(args[0]),
        t0: Date.now(),
        t1: undefined,
      };
      record.commands.push(event);
      child.once("exit", () => {
        event.t1 = Date.now();
      });
    }
    return child;
  };
  process.once("exit", () => {
    record.exit = Date.now();
    require("node:fs").appendFileSync(probeLog, `bench-program ${JSON.stringify(record)}\n`);
  });
}
