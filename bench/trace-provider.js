// BENCH ONLY. Preloaded (NODE_OPTIONS=--require, after test/cli's probe) into the processes the
// real Pulumi CLI starts for a benchmark run; acts only in the SDK's dynamic-provider process
// (where pulumi-mcp runs). It changes no behaviour; it only watches:
//   * ssh2 Client.connect/ready   -> handshakes, with their start and end times;
//   * ssh2 Client.exec            -> one event per exec channel: node, command kind, when it was
//                                    asked for (SshTransport.run/hold, so queueing for a channel
//                                    slot shows), opened, first output, closed;
//   * the Component provider's check/diff/create/read/update/delete -> one event per call, and
//     the call each exec channel belongs to (AsyncLocalStorage); with $BENCH_NULL_PROVIDER, the
//     calls of bench/null-provider.js instead, and nothing else;
//   * pulumi-mcp's own per-node counters (transport allCounters()).
// When the CLI ends the process (SIGINT to its process group, SIGKILL 5 s later; SIGTERM too) or
// it exits, appends everything as one line to the run's probe log ($PULUMI_MCP_TEST_PROBE_LOG,
// which test/cli/pulumi-cli.ts reads back), synchronously:
//   bench-trace {"origin":…,"exit":…,"connects":[…],"execs":[…],"ops":[…],"counters":{…},"phases":{…}}
// then closes pulumi-mcp's pooled connections and exits. All times are Date.now() milliseconds,
// comparable with the benchmark driver's clock.

const isProvider = /cmd[/\\]dynamic-provider([/\\]index\.js)?$/.test(process.argv[1] ?? "");
const probeLog = process.env.PULUMI_MCP_TEST_PROBE_LOG;
if (isProvider && probeLog) install(probeLog);

function install(probeLog) {
  const { AsyncLocalStorage } = require("node:async_hooks");
  const path = require("node:path");

  const als = new AsyncLocalStorage();
  const trace = {
    origin: Math.round(performance.timeOrigin),
    connects: [],
    execs: [],
    ops: [],
    counters: {},
    problems: [],
  };

  // Resolved as the program directory would (createRequire), not with require.resolve's `paths`:
  // this file lives inside the pulumi-mcp repository, whose package.json is named "pulumi-mcp", so
  // Node's package self-reference would resolve "pulumi-mcp/…" to the repository's own dist/.
  const programRequire = require("node:module").createRequire(
    path.join(process.cwd(), "package.json"),
  );

  function fromProgram(request) {
    return programRequire.resolve(request);
  }

  function kindOf(command) {
    if (command.includes("flock")) return "lock";
    // A create's or update's one command (pull, look, set aside, run, inspect: commands/podman.ts).
    if (command.includes("pulumi-mcp: looked")) return "chained run";
    const words = command.replace(/'/g, "").split(/\s+/);
    const at = words.indexOf("podman");
    if (at < 0) return words.slice(0, 2).join(" ");
    let next = at + 1;
    if (words[next] === "--max-workers") next += 2; // a batched stop/rm
    let sub = words[next] ?? "";
    if (sub === "container") sub = words[next + 1] ?? sub;
    return `podman ${sub}`;
  }

  function hookSsh2(ssh2) {
    const proto = ssh2.Client.prototype;
    const connect = proto.connect;
    proto.connect = function benchConnect(config, ...rest) {
      const label = `${config.username}@${config.host}:${config.port}`;
      this.__benchLabel = label;
      const event = { node: label, t0: Date.now(), ready: undefined };
      trace.connects.push(event);
      this.once("ready", () => {
        event.ready = Date.now();
      });
      return connect.call(this, config, ...rest);
    };
    const exec = proto.exec;
    proto.exec = function benchExec(command, options, callback) {
      const cb = typeof options === "function" ? options : callback;
      const store = als.getStore() ?? {};
      const event = {
        node: this.__benchLabel,
        kind: kindOf(String(command)),
        op: store.op,
        name: store.name,
        asked: store.asked,
        t0: Date.now(),
        opened: undefined,
        first: undefined,
        t1: undefined,
      };
      trace.execs.push(event);
      const wrapped = (error, stream) => {
        event.opened = Date.now();
        if (!error && stream) {
          const first = () => {
            event.first ??= Date.now();
          };
          stream.once("data", first);
          stream.stderr?.once("data", first);
          stream.once("close", () => {
            event.t1 = Date.now();
          });
        } else event.t1 = event.opened;
        return cb(error, stream);
      };
      return typeof options === "function"
        ? exec.call(this, command, wrapped)
        : exec.call(this, command, options, wrapped);
    };
  }

  function hookTransport({ SshTransport }) {
    for (const method of ["run", "hold"]) {
      const original = SshTransport.prototype[method];
      SshTransport.prototype[method] = function benchAsk(...args) {
        return als.run({ ...(als.getStore() ?? {}), asked: Date.now() }, () =>
          original.apply(this, args),
        );
      };
    }
  }

  function nameOf(bag) {
    return bag && typeof bag === "object" && bag.service && bag.name
      ? `${bag.service}-${bag.name}`
      : undefined;
  }

  function hookProvider(file) {
    const provider = require(file);
    // Which argument holds the component's properties, per method.
    const bagAt = { check: 1, diff: 2, create: 0, read: 1, update: 2, delete: 1 };
    for (const [method, at] of Object.entries(bagAt)) {
      const original = provider[method];
      if (typeof original !== "function") continue;
      provider[method] = function benchOp(...args) {
        const event = {
          op: method,
          name: nameOf(args[at]),
          t0: Date.now(),
          t1: undefined,
          ok: true,
        };
        trace.ops.push(event);
        return als.run({ op: method, name: event.name }, async () => {
          try {
            return await original.apply(this, args);
          } catch (error) {
            event.ok = false;
            throw error;
          } finally {
            event.t1 = Date.now();
          }
        });
      };
    }
  }

  let transportIndex;
  let unikernelRuntime;
  try {
    if (process.env.BENCH_NULL_PROVIDER) {
      // The sdk-null contender (bench/null-provider.js): its calls are timed the same way, and
      // nothing of pulumi-mcp is loaded into its process.
      hookProvider(fromProgram("bench-null-provider"));
    } else {
      const mcpDir = path.dirname(path.dirname(fromProgram("pulumi-mcp/dist/index.js")));
      // ssh2, the transport and the runtime are watched, not loaded: a no-change run's provider
      // loads none of them.
      const { onFirstLoad } = require(path.join(__dirname, "../test/cli/on-first-load.js"));
      onFirstLoad("ssh2", hookSsh2);
      onFirstLoad("./ssh-transport", hookTransport); // dist/transport/index.js's require
      hookProvider(path.join(mcpDir, "dist/resources/component-provider.js"));
      transportIndex = path.join(mcpDir, "dist/transport/index.js");
      unikernelRuntime = path.join(mcpDir, "dist/runtime/unikernel-runtime.js");
    }
  } catch (error) {
    trace.problems.push(`hooks not installed: ${error.message}`);
  }

  let dumped = false;
  function dump() {
    if (dumped) return;
    dumped = true;
    try {
      const transport = transportIndex && require.cache[transportIndex]?.exports;
      if (transport) trace.counters = Object.fromEntries(transport.allCounters());
    } catch (error) {
      trace.problems.push(`counters unavailable: ${error.message}`);
    }
    // A unikernel deploy's phases (pull, ELF extraction, ops build, QEMU start), by VM name.
    const unikernel = unikernelRuntime && require.cache[unikernelRuntime]?.exports;
    if (unikernel) trace.phases = Object.fromEntries(unikernel.lastDeployPhases);
    trace.exit = Date.now();
    require("node:fs").appendFileSync(probeLog, `bench-trace ${JSON.stringify(trace)}\n`);
  }

  function shutdown() {
    dump();
    const done = () => process.exit(0);
    setTimeout(done, 1_000).unref();
    const transport = transportIndex && require.cache[transportIndex]?.exports;
    Promise.resolve(transport?.closeAllConnections()).then(() => setTimeout(done, 50), done);
  }
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  process.once("exit", dump);
}
