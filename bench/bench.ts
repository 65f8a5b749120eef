// BENCH ONLY. The driver behind bench/run.sh (read that file first): runs every scenario for
// every contender N times, interleaved per repetition, checks what runs on the nodes after each
// step, prints the tables and writes the raw samples as JSON.
//
//   npx ts-node --transpile-only bench/bench.ts --src DIR --program DIR --env ENV.json \
//     --node LABEL,PORT,KNOWN_HOSTS,FINGERPRINT … [--n 3] [--count 20] \
//     [--contenders floor,mcp0,mcp,sdk-null,ansible] [--parallel P] [--no-ops] [--no-unikernel]

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  ansibleContender,
  type BenchNode,
  type Contender,
  cliModuleVersion,
  cliParallelDefault,
  containerNames,
  type ExecEvent,
  floorContender,
  mcpContender,
  NO_SSH,
  type NodeCounts,
  NULL_CONTENDER,
  type Sample,
  type Scenario,
  type Setup,
  throughCli,
} from "./contenders";
import { median, secs, table } from "./report-table";
import {
  UNIKERNEL_HEADER,
  type UnikernelFixture,
  type UnikernelSample,
  unikernelRows,
  unikernelTiming,
} from "./unikernel";

interface Args {
  src: string;
  program: string;
  n: number;
  count: number;
  contenders: string[];
  ops: boolean;
  unikernel: boolean;
  /** The CLI's --parallel; its own default when undefined. */
  parallel?: number;
  /** The test fixture's env.json (test/fixtures/nodes.sh). */
  env: string;
  /** Sessions at once per node for the floor and pulumi-mcp (maxSessions). */
  sessions: number;
  /** label, port, known_hosts file, host key fingerprint */
  nodes: [string, number, string, string][];
  ansibleN: number;
  /** Where bench/cpu-profile.js writes the pulumi-mcp runs' CPU profiles (off when undefined). */
  cpuProfile?: string;
  work: string;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const need = (name: string) => {
    const v = get(name);
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  return {
    src: need("src"),
    program: need("program"),
    n: Number(get("n") ?? 3),
    count: Number(get("count") ?? 20),
    contenders: (get("contenders") ?? "floor,mcp0,mcp,ansible").split(","),
    ops: !argv.includes("--no-ops"),
    unikernel: !argv.includes("--no-unikernel"),
    parallel: get("parallel") === undefined ? undefined : Number(get("parallel")),
    env: need("env"),
    sessions: Number(get("sessions") ?? 20),
    nodes: argv
      .flatMap((a, i) => (a === "--node" ? [argv[i + 1] ?? ""] : []))
      .map((spec) => {
        const [label, port, knownHosts, hostKey] = spec.split(",");
        if (!label || !port || !knownHosts || !hostKey) throw new Error(`bad --node ${spec}`);
        return [label, Number(port), knownHosts, hostKey] as [string, number, string, string];
      }),
    ansibleN: Number(get("ansible-n") ?? 1),
    cpuProfile: get("cpu-profile"),
    work: need("work"),
    out: need("out"),
  };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------------------------------------
// The node side, checked locally: both nodes are this machine's podman.
// ---------------------------------------------------------------------------------------------

let podmanEnv: NodeJS.ProcessEnv = process.env;

function podman(args: string[]): string {
  return execFileSync("podman", args, {
    env: podmanEnv,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function live(names: string[]): Map<string, { image: string; state: string }> {
  const wanted = new Set(names);
  const found = new Map<string, { image: string; state: string }>();
  const list = JSON.parse(podman(["ps", "-a", "--format", "json"]) || "[]") as {
    Names: string[];
    Image: string;
    State: string;
  }[];
  for (const c of list) {
    const name = c.Names[0] ?? "";
    if (wanted.has(name)) found.set(name, { image: c.Image, state: c.State });
  }
  return found;
}

function expectLive(setup: Setup, image: string | undefined, what: string): string | undefined {
  const names = containerNames(setup);
  const found = live([...names, ...names.map((n) => `${n}-previous`)]);
  if (image === undefined) {
    return found.size === 0 ? undefined : `${what}: ${found.size} container(s) left`;
  }
  const bad = names.filter(
    (n) => found.get(n)?.state !== "running" || found.get(n)?.image !== image,
  );
  const extra = [...found.keys()].filter((n) => n.endsWith("-previous"));
  if (bad.length === 0 && extra.length === 0) return undefined;
  return `${what}: ${bad.length} not running ${image}${extra.length ? `, ${extra.length} -previous left` : ""}`;
}

function removeAll(setup: Setup): void {
  const names = containerNames(setup);
  const all = [...names, ...names.map((n) => `${n}-previous`)];
  const present = [...live(all).keys()];
  for (const name of present) {
    try {
      podman(["rm", "--force", "--ignore", "--time", "0", "--", name]);
    } catch (error) {
      log(`could not remove ${name}: ${(error as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and tables
// ---------------------------------------------------------------------------------------------

/** "1/1": the median per node, nodes in order. */
function perNode(samples: Sample[], nodes: BenchNode[], field: keyof NodeCounts): string {
  if (samples.length === 0 || samples.some((s) => !s.nodes)) return "-";
  return nodes
    .map((n) => String(median(samples.map((s) => s.nodes?.[n.label]?.[field] ?? 0))))
    .join("/");
}

const SCENARIO_LABEL: Record<Scenario, string> = {
  deploy: "initial deploy",
  preview: "no-change preview",
  nochange: "no-change re-run",
  empty: "no-change up of a program declaring nothing",
  bump: "version bump v1→v2",
  refresh: "refresh",
  destroy: "destroy",
};

// ---------------------------------------------------------------------------------------------
// Where pulumi-mcp's time goes (from bench/trace-provider.js)
// ---------------------------------------------------------------------------------------------

interface Breakdown {
  wall: number;
  /** Run start -> first create/update/read/delete call reaches the provider. */
  toFirstOp: number;
  /** test/cli/run-program.ts (the program's process) started/exited, relative to run start. */
  programUp?: number;
  programExit?: number;
  /** The CLI command of the operation itself (`pulumi up` …) spawned/exited, from run start. */
  cliUp?: number;
  cliExit?: number;
  /** The provider process started; the first check/diff reached it (from run start). */
  providerUp: number;
  firstCall: number;
  /** First op start -> last op end. */
  opsSpan: number;
  /** Last op end -> run end (program exit, monitor and provider shutdown, state). */
  tail: number;
  handshake: number;
  lockWait: number;
  ops: number;
  opMean: number;
  opMax: number;
  /** Mean per op, ms: exec-seconds of each kind of remote command over all the run's channels
   * divided by the number of ops, the ops' waits for the node lock and for a channel slot, and
   * "other": the rest of the ops' time (waiting on a batched inspect another op sent, sleeps
   * between readiness polls, JS). */
  perOp: Record<string, number>;
  execsPerOp: Record<string, number>;
}

const OPERATIONS = ["preview", "up", "refresh", "destroy"];

/** The `pulumi preview|up|refresh|destroy` command among those the Automation API ran. */
function operationCommand(sample: Sample): { t0: number; t1?: number } | undefined {
  return sample.program?.commands.find((c) => OPERATIONS.includes(c.args));
}

/** Seconds of the run spent in `pulumi` commands other than the operation (version, stack…). */
function otherCommands(sample: Sample): number {
  const op = operationCommand(sample);
  return (sample.program?.commands ?? [])
    .filter((c) => c !== op && c.t1 !== undefined)
    .reduce((sum, c) => sum + ((c.t1 as number) - c.t0), 0);
}

function breakdown(sample: Sample): Breakdown | undefined {
  const trace = sample.trace;
  if (!trace) return undefined;
  const work = trace.ops.filter(
    (o) => ["create", "update", "read", "delete"].includes(o.op) && o.t1,
  );
  const firstOp = Math.min(...work.map((o) => o.t0));
  const lastOp = Math.max(...work.map((o) => o.t1 as number));
  // Each node's lock holds: from its hold command printing the marker to the command's end
  // (a run can take the lock more than once: the provider lets it go after a quiet moment).
  const lockHolds = new Map<string, { from: number; to: number }[]>();
  for (const e of trace.execs) {
    if (e.kind !== "lock" || e.first === undefined) continue;
    const holds = lockHolds.get(e.node) ?? [];
    holds.push({ from: e.first, to: e.t1 ?? Number.POSITIVE_INFINITY });
    lockHolds.set(e.node, holds);
  }
  /** How long an op that started at `t0` on `node` waited for a hold of the lock. */
  const lockWaitOf = (node: string, t0: number): number => {
    const holds = lockHolds.get(node) ?? [];
    if (holds.some((h) => h.from <= t0 && t0 <= h.to)) return 0;
    const next = Math.min(...holds.filter((h) => h.from > t0).map((h) => h.from));
    return Number.isFinite(next) ? next - t0 : 0;
  };
  const nodeOf = new Map<string, string>();
  for (const e of trace.execs) if (e.op && e.name) nodeOf.set(`${e.op} ${e.name}`, e.node);
  const perOp: Record<string, number> = {};
  const execsPerOp: Record<string, number> = {};
  let queued = 0;
  let inExecs = 0;
  for (const e of trace.execs) {
    if (e.kind === "lock" || e.t1 === undefined) continue; // the lock: counted as each op's wait
    perOp[e.kind] = (perOp[e.kind] ?? 0) + (e.t1 - e.t0);
    execsPerOp[e.kind] = (execsPerOp[e.kind] ?? 0) + 1;
    inExecs += e.t1 - e.t0;
    if (e.asked !== undefined) queued += e.t0 - e.asked;
  }
  let lockWait = 0;
  let opTotal = 0;
  for (const o of work) {
    const duration = (o.t1 as number) - o.t0;
    opTotal += duration;
    const node = nodeOf.get(`${o.op} ${o.name}`);
    if (o.op !== "read" && node !== undefined)
      lockWait += Math.min(duration, lockWaitOf(node, o.t0));
  }
  const n = Math.max(1, work.length);
  for (const k of Object.keys(perOp)) perOp[k] = (perOp[k] as number) / n;
  for (const k of Object.keys(execsPerOp)) execsPerOp[k] = (execsPerOp[k] as number) / n;
  perOp["waiting for the node lock"] = lockWait / n;
  perOp["queued for a channel"] = queued / n;
  perOp.other = (opTotal - inExecs - queued - lockWait) / n;
  const handshakes = trace.connects.filter((c) => c.ready).map((c) => (c.ready as number) - c.t0);
  const locks = trace.execs
    .filter((e) => e.kind === "lock" && e.first)
    .map((e) => (e.first as number) - e.t0);
  const cli = operationCommand(sample);
  return {
    wall: sample.ms,
    toFirstOp: work.length ? firstOp - sample.t0 : Number.NaN,
    programUp: sample.program ? sample.program.origin - sample.t0 : undefined,
    programExit: sample.program ? sample.program.exit - sample.t0 : undefined,
    cliUp: cli ? cli.t0 - sample.t0 : undefined,
    cliExit: cli?.t1 ? cli.t1 - sample.t0 : undefined,
    providerUp: trace.origin - sample.t0,
    firstCall: trace.ops.length ? Math.min(...trace.ops.map((o) => o.t0)) - sample.t0 : Number.NaN,
    opsSpan: work.length ? lastOp - firstOp : 0,
    tail: work.length ? sample.t1 - lastOp : Number.NaN,
    handshake: handshakes.length ? Math.max(...handshakes) : 0,
    lockWait: locks.length ? Math.max(...locks) : 0,
    ops: work.length,
    opMean: opTotal / n,
    opMax: work.length ? Math.max(...work.map((o) => (o.t1 as number) - o.t0)) : 0,
    perOp,
    execsPerOp,
  };
}

function breakdownTable(samples: Sample[], contenders: string[], scenarios: Scenario[]): string {
  const rows: string[][] = [];
  for (const c of contenders) {
    for (const sc of scenarios) {
      const bs = samples
        .filter((s) => s.contender === c && s.scenario === sc)
        .map(breakdown)
        .filter((b): b is Breakdown => b !== undefined && b.ops > 0);
      if (bs.length === 0) continue;
      const m = (f: (b: Breakdown) => number | undefined) =>
        secs(median(bs.map(f).filter((x): x is number => x !== undefined)));
      const kinds = [...new Set(bs.flatMap((b) => Object.keys(b.perOp)))].filter(
        (k) => median(bs.map((b) => b.perOp[k] ?? 0)) >= 5,
      );
      const parts = kinds
        .sort(
          (a, b) => median(bs.map((x) => x.perOp[b] ?? 0)) - median(bs.map((x) => x.perOp[a] ?? 0)),
        )
        .map((k) => {
          const count = median(bs.map((b) => b.execsPerOp[k] ?? 0));
          const countText = k.startsWith("podman") ? `×${Number(count.toFixed(1))}` : "";
          return `${k}${countText} ${secs(median(bs.map((b) => b.perOp[k] ?? 0)))}`;
        });
      rows.push([
        `${c} ${sc}`,
        m((b) => b.wall),
        bs[0]?.programUp === undefined
          ? "-"
          : `${m((b) => b.programUp)}→${m((b) => b.programExit)}`,
        bs[0]?.cliUp === undefined ? "-" : `${m((b) => b.cliUp)}→${m((b) => b.cliExit)}`,
        m((b) => b.providerUp),
        m((b) => b.firstCall),
        m((b) => b.toFirstOp),
        m((b) => b.handshake),
        m((b) => b.lockWait),
        m((b) => b.opsSpan),
        m((b) => b.tail),
        `${m((b) => b.opMean)}/${m((b) => b.opMax)}`,
        parts.join(", "),
      ]);
    }
  }
  return table(
    [
      "run",
      "wall",
      "runner",
      "CLI op",
      "provider",
      "1st call",
      "1st op",
      "handshake",
      "lock",
      "ops span",
      "tail",
      "op mean/max",
      "mean time per op (s)",
    ],
    rows,
  );
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const env = JSON.parse(readFileSync(args.env, "utf8"));
  podmanEnv = { ...process.env, ...env.podmanEnv };
  mkdirSync(args.work, { recursive: true });
  if (args.nodes.length === 0) throw new Error("no --node given");
  const nodes: BenchNode[] = args.nodes.map(([label, port, knownHostsFile, hostKey], i) => ({
    label,
    host: "127.0.0.1",
    port,
    user: env.node.user,
    hostKey,
    knownHostsFile,
    portBase: 28000 + 100 * i,
  }));
  const setup: Setup = {
    nodes,
    count: args.count,
    images: { v1: env.images.v1, v2: env.images.v2 },
    keyFile: env.node.privateKeyPath,
    // busybox httpd (the test image) ignores SIGTERM, so every stop waits the whole timeout:
    // 1 s, the same for every contender.
    stopTimeout: 1,
    // bench/node.sh's sshds allow MaxSessions 20: by default the floor runs 20 sessions at once
    // per node, and pulumi-mcp gets the same through its maxSessions node input.
    sessions: args.sessions,
    work: args.work,
    servicePrefix: "bench",
  };
  // Warm image cache for everyone: every deploy and bump finds both images on the node.
  for (const image of [setup.images.v1, setup.images.v2]) podman(["pull", "--quiet", image]);
  removeAll(setup);

  // Every pulumi-mcp contender is a stack of its own in the one prepared program directory.
  const mcpBase = {
    src: args.src,
    programDir: args.program,
    parallel: args.parallel,
    cpuProfileDir: args.cpuProfile,
  };
  const cliVersion = cliModuleVersion(args.src);
  const parallel =
    args.parallel === undefined
      ? `the CLI's default, ${cliParallelDefault(args.src)} here (4 × GOMAXPROCS, or $PULUMI_PARALLEL)`
      : `${args.parallel} (--parallel)`;
  const all: Record<string, () => Contender> = {
    floor: () => floorContender(setup),
    mcp0: () =>
      mcpContender(setup, {
        ...mcpBase,
        name: "pulumi-mcp minUptime=0",
        stack: "mcp0",
        minUptime: 0,
      }),
    mcp: () =>
      mcpContender(setup, { ...mcpBase, name: "pulumi-mcp (default minUptime=2)", stack: "mcp" }),
    [NULL_CONTENDER]: () =>
      mcpContender(setup, {
        ...mcpBase,
        name: NULL_CONTENDER,
        stack: NULL_CONTENDER,
        minUptime: 0,
        nullProvider: true,
      }),
    ansible: () => ansibleContender(setup),
  };
  const contenders = args.contenders.map((c) => {
    const make = all[c];
    if (!make) throw new Error(`unknown contender ${c}`);
    return make();
  });

  const samples: Sample[] = [];
  const problems: string[] = [];
  const started = Date.now();
  const load0 = readFileSync("/proc/loadavg", "utf8").trim();

  const step = async (
    c: Contender,
    scenario: Scenario,
    image: string,
    rep: number,
    expect?: string | null,
  ) => {
    const sample = await c.run(scenario, image, rep);
    samples.push(sample);
    const check =
      expect === undefined
        ? undefined
        : expectLive(setup, expect ?? undefined, `${c.name} ${scenario}`);
    const note = [sample.note, check].filter(Boolean).join("; ");
    if (note) problems.push(`rep ${rep} ${c.name} ${scenario}: ${note}`);
    const counts = sample.nodes
      ? Object.entries(sample.nodes)
          .map(([k, v]) => `${k}:${v.handshakes}hs/${v.channels}ch`)
          .join(" ")
      : "";
    log(
      `rep ${rep} ${c.name.padEnd(32)} ${scenario.padEnd(12)} ${secs(sample.ms).padStart(6)} s  ${counts}${note ? `  !! ${note}` : ""}`,
    );
  };

  try {
    for (const c of contenders) await c.warmUp?.();
    for (let rep = 1; rep <= args.n; rep++) {
      for (const c of contenders) {
        if (c.name === "ansible" && rep > args.ansibleN) continue;
        removeAll(setup);
        c.reset?.();
        const isMcp = c.name.startsWith("pulumi-mcp");
        // Runs that do not depend on minUptime (no container starts): the first pulumi-mcp
        // variant only.
        const firstMcp = isMcp && c === contenders.find((x) => x.name.startsWith("pulumi-mcp"));
        // sdk-null runs what the first pulumi-mcp variant runs but the empty program, and starts
        // no container: every step must leave none.
        const isNull = c.name === NULL_CONTENDER;
        const { v1, v2 } = setup.images;
        const want = (image: string) => (isNull ? null : image);
        await step(c, "deploy", v1, rep, want(v1));
        if (firstMcp || isNull) await step(c, "preview", v1, rep);
        if (!isMcp || firstMcp) await step(c, "nochange", v1, rep, want(v1));
        if (firstMcp) await step(c, "empty", v1, rep, v1);
        await step(c, "bump", v2, rep, want(v2));
        if (!isMcp || firstMcp) await step(c, "refresh", v2, rep, want(v2));
        await step(c, "destroy", v2, rep, null);
      }
    }
  } finally {
    removeAll(setup);
  }

  // Per-operation round trips: one component on node A, each operation on its own.
  const opSamples: Sample[] = [];
  if (args.ops) {
    for (const minUptime of [0, undefined]) {
      const c = mcpContender(setup, {
        ...mcpBase,
        name: `one component, minUptime=${minUptime ?? "2 (default)"}`,
        stack: `ops-${minUptime ?? "default"}`,
        count: 1,
        nodes: [nodes[0] as BenchNode],
        minUptime,
      });
      c.reset?.();
      try {
        opSamples.push(await c.run("deploy", setup.images.v1, 1));
        opSamples.push(await c.run("bump", setup.images.v2, 1));
        opSamples.push(await c.run("refresh", setup.images.v2, 1));
        opSamples.push(await c.run("destroy", setup.images.v2, 1));
      } finally {
        removeAll(setup);
      }
    }
  }
  // A unikernel component: up → first HTTP 200, by phase; then a redeploy of the same digest.
  let unikernelSamples: UnikernelSample[] = [];
  let unikernelNote = "not run (--no-unikernel)";
  const unikernelFile = path.join(path.dirname(args.env), "unikernel.json");
  if (args.unikernel && !existsSync(unikernelFile)) {
    unikernelNote = `not run: no ${unikernelFile} (bash test/fixtures/unikernel/setup.sh up)`;
  } else if (args.unikernel) {
    const fixture = JSON.parse(readFileSync(unikernelFile, "utf8")) as UnikernelFixture;
    const node = nodes[0] as BenchNode;
    const nodeHome = path.join(args.work, `node-${node.label}`, "home");
    unikernelSamples = await unikernelTiming(setup, node, fixture, {
      ...mcpBase,
      n: args.n,
      nodeHome: existsSync(nodeHome) ? nodeHome : undefined,
    });
    for (const s of unikernelSamples) if (s.note) problems.push(`unikernel ${s.run}: ${s.note}`);
    unikernelNote = `QEMU acceleration ${fixture.accel}${fixture.accel === "tcg" ? ` (${fixture.accelReason.trim()})` : ""}; ops is the stand-in of test/fixtures/unikernel.`;
  }
  const load1 = readFileSync("/proc/loadavg", "utf8").trim();

  // ----- report -----
  const names = contenders.map((c) => c.name);
  const floorName = "floor";
  const scenarios: Scenario[] = [
    "deploy",
    "preview",
    "nochange",
    "empty",
    "bump",
    "refresh",
    "destroy",
  ];
  const of = (c: string, sc: Scenario) =>
    samples.filter((s) => s.contender === c && s.scenario === sc);
  const rows: string[][] = [];
  for (const sc of scenarios) {
    const floorOf: Partial<Record<Scenario, Scenario>> = { empty: "nochange" };
    const floor = median(of(floorName, floorOf[sc] ?? sc).map((s) => s.ms));
    const row = [SCENARIO_LABEL[sc]];
    for (const c of names) {
      const ss = of(c, sc);
      const t = median(ss.map((s) => s.ms));
      const ratio =
        c === floorName || Number.isNaN(t) || Number.isNaN(floor)
          ? ""
          : ` ${(t / floor).toFixed(2)}×`;
      row.push(ss.length ? `${secs(t)}${ratio}` : "-");
      if (throughCli(c)) {
        const op = median(
          ss.flatMap((s) => {
            const cmd = operationCommand(s);
            return cmd?.t1 === undefined ? [] : [cmd.t1 - cmd.t0];
          }),
        );
        row.push(secs(op));
      }
      row.push(
        ss.length ? perNode(ss, nodes, "handshakes") : "-",
        ss.length ? perNode(ss, nodes, "channels") : "-",
      );
    }
    rows.push(row);
  }
  const header = ["scenario (median s, ×floor)"];
  for (const c of names) {
    header.push(c, ...(throughCli(c) ? ["CLI op"] : []), "hs a/b", "ch a/b");
  }
  const mainTable = table(header, rows);

  const opRows: string[][] = [];
  const opName: Partial<Record<Scenario, string>> = {
    deploy: "create",
    bump: "update (v1→v2)",
    refresh: "read",
    destroy: "delete",
  };
  for (const s of opSamples) {
    const counts = Object.values(s.nodes ?? {})[0];
    const kinds = new Map<string, number>();
    for (const e of s.trace?.execs ?? ([] as ExecEvent[]))
      kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
    opRows.push([
      `${opName[s.scenario] ?? s.scenario}, ${s.contender.replace("one component, ", "")}`,
      secs(s.ms),
      String(counts?.handshakes ?? "-"),
      String(counts?.channels ?? "-"),
      [...kinds].map(([k, n]) => `${k}×${n}`).join(", "),
    ]);
  }
  const opTable = table(
    [
      "operation (1 component, node a)",
      "wall s",
      "handshakes",
      "channels",
      "exec channels by command",
    ],
    opRows,
  );

  const mcpNames = names.filter((n) => n.startsWith("pulumi-mcp"));
  const cliNames = names.filter(throughCli);
  const detail = breakdownTable(samples, cliNames, ["deploy", "bump", "refresh", "destroy"]);
  const perNodeOf = (ss: Sample[], field: keyof NodeCounts) =>
    nodes.map((n) => String(median(ss.map((s) => s.nodes?.[n.label]?.[field] ?? 0)))).join("/");
  const idle = table(
    [
      "run",
      "wall",
      "SSH connects a/b",
      "runner up→exit",
      "CLI op",
      "other pulumi commands",
      "provider up",
      "1st call",
      "provider calls (check/diff)",
    ],
    cliNames.flatMap((c) =>
      NO_SSH.flatMap((sc) => {
        const ss = of(c, sc);
        if (ss.length === 0) return [];
        const at = (pick: (s: Sample) => number | undefined) =>
          secs(median(ss.map(pick).filter((x): x is number => x !== undefined)));
        return [
          [
            `${c} ${sc}`,
            secs(median(ss.map((s) => s.ms))),
            perNodeOf(ss, "connects"),
            `${at((s) => s.program && s.program.origin - s.t0)}→${at((s) => s.program && s.program.exit - s.t0)}`,
            `${at((s) => (operationCommand(s)?.t0 ?? Number.NaN) - s.t0)}→${at((s) => (operationCommand(s)?.t1 ?? Number.NaN) - s.t0)}`,
            at((s) => (s.program ? otherCommands(s) : undefined)),
            at((s) => s.trace && s.trace.origin - s.t0),
            at((s) =>
              s.trace?.ops.length ? Math.min(...s.trace.ops.map((o) => o.t0)) - s.t0 : undefined,
            ),
            String(median(ss.map((s) => s.trace?.ops.length ?? 0))),
          ],
        ];
      }),
    ),
  );
  const components = args.count * nodes.length;
  /** "a s − b s = d s, x ms per component", or nothing when either was not run. */
  const minus = (c: string, sc: Scenario, base: string, baseSc: Scenario, label: string) => {
    const a = median(of(c, sc).map((s) => s.ms));
    const b = median(of(base, baseSc).map((s) => s.ms));
    if (Number.isNaN(a) || Number.isNaN(b)) return [];
    return [
      `${c}: ${SCENARIO_LABEL[sc]} ${secs(a)} s − ${label} ${secs(b)} s = ${secs(a - b)} s, ${((a - b) / components).toFixed(1)} ms per component (${components} components).`,
    ];
  };
  const overhead = [
    // The SDK's and the engine's own cost per resource, above a run that declares none.
    ...minus(NULL_CONTENDER, "nochange", mcpNames[0] ?? "", "empty", "empty program"),
    ...mcpNames.flatMap((c) => [
      ...minus(c, "nochange", c, "empty", "empty program"),
      // What is ours: the same run with a provider that does nothing (sdk-null) taken away.
      ...scenarios.flatMap((sc) => minus(c, sc, NULL_CONTENDER, sc, NULL_CONTENDER)),
    ]),
  ];

  const report = [
    `pulumi-mcp benchmark — ${new Date(started).toISOString()}, ${args.n} repetition(s), ${args.count} components × ${nodes.length} nodes, stopTimeout ${setup.stopTimeout}s`,
    `source: ${args.src}; load average before ${load0}, after ${load1}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
    `pulumi-mcp through the real CLI (${cliVersion}) by the Automation API (test/cli/run-program.ts); --parallel: ${parallel}`,
    "",
    "Median wall time per scenario (s) and its ratio to the floor; SSH handshakes (hs) and exec channels/sessions (ch) per node a/b, medians.",
    "pulumi-mcp's wall time is test/cli's whole run: node starting run-program.ts (where the program runs), the Automation API's `pulumi version`",
    "and `stack select`, the operation, then `stack output` and `stack history` (up: ×4 and ×1); CLI op = the `pulumi up|preview|refresh|destroy` command alone.",
    mainTable,
    "-: not run. The default-minUptime variant runs deploy, bump and destroy only (nothing else starts a container); the preview, the",
    "empty-program run and refresh run for the first pulumi-mcp variant only; the empty program's ×floor is against the floor's no-change re-run.",
    `${NULL_CONTENDER}: the same program and CLI path with a provider that does nothing (bench/null-provider.js): the SDK's and the engine's cost;`,
    `pulumi-mcp − ${NULL_CONTENDER} is ours.`,
    ...overhead,
    "",
    "pulumi-mcp per operation: one component alone on node a (channels include the node lock's held channel).",
    opTable,
    "",
    "Where pulumi-mcp's time goes (medians over repetitions; times from the provider process, see bench/trace-provider.js).",
    "From run start: runner = test/cli/run-program.ts (the process the program runs in) spawned→exited; CLI op = the `pulumi up|refresh|destroy`",
    "command itself spawned→exited (the rest of the runner's time: node and the SDK loading, `pulumi version`, `stack select`, and `stack output`,",
    "`stack history` after it); provider = the dynamic-provider process started; 1st call = the first check/diff",
    "reached it; 1st op = the first create/update/read/delete reached it. handshake / lock = SSH connect→ready and the node lock's wait (slowest node);",
    "ops span = first op start→last op end; tail = last op end→run end. Per op: seconds of each kind of remote command (×count) over all channels",
    "of the run divided by the number of ops; waits for the node lock and for one of the connection's channel slots; other = the rest of the ops'",
    "time (waiting on a batched inspect another op sent, sleeps between readiness polls, JS).",
    detail,
    "",
    "No-change runs (no SSH connection allowed): SSH connects = TCP connects to the node from the provider process (test/cli's probe);",
    "other pulumi commands = seconds in the Automation API's other `pulumi` commands (version, stack select, stack output, stack history);",
    "provider up / 1st call = the dynamic-provider process started / the first check reached it, from run start (the empty program starts none).",
    idle,
    "",
    "Unikernel component, medians (s): from the start of `up` to the first HTTP 200 through its forwarded port, by phase. The image is",
    "in podman's store already (pull = a registry check, as for the containers). A first deploy starts with the runtime's ELF and image",
    "caches emptied; the redeploy (destroy, then up with the same digest) finds them. QEMU start → 200 is the guest's boot and server start.",
    unikernelSamples.length > 0 ? table(UNIKERNEL_HEADER, unikernelRows(unikernelSamples)) : "",
    unikernelNote,
    "",
    problems.length
      ? `PROBLEMS:\n${problems.map((p) => `  - ${p}`).join("\n")}`
      : "Every step left the nodes as expected.",
  ].join("\n");
  process.stdout.write(`${report}\n`);
  writeFileSync(
    args.out,
    JSON.stringify(
      { args, setup, samples, opSamples, unikernelSamples, problems, report },
      null,
      1,
    ),
  );
  log(`raw samples: ${args.out}`);
  if (problems.length) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(
    `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
