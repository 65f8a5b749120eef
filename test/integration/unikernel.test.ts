import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { dirname, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qemuKvmProbe } from "../../provider/commands/qemu";
import { probeNode } from "../../provider/commands/unikernel-shell";
import { listAll } from "../../provider/runtime";
import {
  forgetCapabilities,
  nodeCapabilities,
  parseCapabilities,
} from "../../provider/runtime/node-capabilities";
import { unikernelPaths } from "../../provider/runtime/unikernel-image";
import {
  type DeployPhases,
  lastDeployPhases,
  UnikernelRuntime,
} from "../../provider/runtime/unikernel-runtime";
import { VM_LABELS } from "../../provider/runtime/unikernel-state";
import { checkComponent } from "../../provider/spec/check-component";
import { closeAllConnections, type Transport, transportFor } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { checked, create, provider, update } from "./provider-calls";
import { httpGet, loadTestNodes, podman, sshNodeInputs } from "./test-nodes";

const nodes = loadTestNodes();
const REPO = resolve(__dirname, "../..");

/** What test/fixtures/unikernel/setup.sh wrote. */
interface UnikernelFixtures {
  images: { v1: string; v2: string; neverListens: string };
  /** This fixture's stand-in `ops` (its bin directory is put first on local nodes' PATH). */
  standinOps: string;
  /** The Nanos version setup.sh lays ops' offline files out under. */
  opsHome: { nanosVersion: string };
  buildLog: string;
  accel: "kvm" | "tcg";
  accelReason: string;
  kernels: { fast: string; ninep: string };
}

// Idempotent and fast once done (a cold machine takes a few minutes: .ci/run calls it first).
execFileSync("bash", [`${REPO}/test/fixtures/unikernel/setup.sh`, "up"], {
  stdio: ["ignore", "ignore", "inherit"],
  timeout: 600_000,
});
const uni = JSON.parse(
  readFileSync(`${nodes.stateDir}/unikernel.json`, "utf8"),
) as UnikernelFixtures;
const SETUP = `${REPO}/test/fixtures/unikernel/setup.sh`;

/** Lays out ops' offline files (latest.txt, <version>/kernel.img, boot.img) in a ~/.ops, as setup.sh does. */
function layOutOpsHome(opsDir: string): void {
  execFileSync("bash", [SETUP, "ops-home", opsDir], { stdio: ["ignore", "ignore", "inherit"] });
}

// Local nodes run commands in this process's environment: this fixture's stand-in comes first.
process.env.PATH = `${dirname(uni.standinOps)}:${process.env.PATH ?? ""}`;

const SERVICE = "unitest";
const WEB = `${SERVICE}-web`;
const VOL = `${SERVICE}-vol`;
const API = `${SERVICE}-api`;
const WEB_PORT = 18531;
const API_PORT = 18422;
const VOL_PORT = 18423;
const RO = `${SERVICE}-ro`;
const RO_PORT = 18424;
const OFFLINE_PORT = 18425;
const volumeDir = `${nodes.stateDir}/volumes/unikernel`;

function transportOf(inputs: Record<string, unknown>): Transport {
  const outcome = checkComponent({
    ...inputs,
    service: SERVICE,
    name: "probe",
    runtime: "unikernel",
    image: uni.images.v1,
  });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return transportFor(outcome.spec.node, outcome.spec.credentials);
}

// This machine does not run systemd: no boot units (as the shared test node).
const LOCAL_NODE = { node: { host: "localhost", local: true, bootPersistence: false } };

/**
 * The VMs run on the SSH test node when the `ops` its login finds is this fixture's
 * stand-in. A second instance of the fixture (its own state directory, e.g. a worktree's,
 * whose stand-in the shared SSH login does not find) runs them on this machine as a
 * `local: true` node instead, with a home of its own, and says so.
 */
const sshOps = await (async () =>
  (await nodeCapabilities(transportOf(sshNodeInputs(nodes)))).ops)();
const overSsh = sshOps !== undefined && realpathSync(sshOps) === realpathSync(uni.standinOps);
if (!overSsh) {
  const home = `${nodes.stateDir}/unikernel/local-home`;
  layOutOpsHome(`${home}/.ops`);
  process.env.HOME = home;
  console.warn(
    `[unikernel] NOT OVER SSH: the SSH login's ops (${sshOps ?? "none"}) is not this fixture's stand-in (${uni.standinOps}), so these VMs run on this machine as a local: true node (HOME=${home})`,
  );
}
const nodeInputs = () => (overSsh ? sshNodeInputs(nodes) : LOCAL_NODE);

function webInputs(image: string, extra: Record<string, unknown> = {}) {
  return {
    ...nodeInputs(),
    service: SERVICE,
    name: "web",
    runtime: "unikernel",
    accel: uni.accel,
    image,
    ports: [`127.0.0.1:${WEB_PORT}:8080`],
    env: { GREETING: "hello 'unikernel' world", EMPTY: "" },
    cmd: ["--flag", "two words"],
    stopTimeout: 2,
    minUptime: 0,
    // Bounds, not timings: TCG boots take tens of seconds on a loaded 2-core machine.
    startTimeout: 90,
    ...extra,
  };
}

function transport(): Transport {
  return transportOf(nodeInputs());
}

async function vmsDir(): Promise<string> {
  return unikernelPaths((await nodeCapabilities(transport())).home).vms;
}

/** VM state directories of this test's service. */
async function ourVmDirs(): Promise<string[]> {
  const dir = await vmsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${SERVICE}-`))
    .sort();
}

function builds(): number {
  if (!existsSync(uni.buildLog)) return 0;
  return readFileSync(uni.buildLog, "utf8").split("\n").filter(Boolean).length;
}

/** QEMU processes whose command line mentions this path. */
function qemuProcessesFor(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.startsWith("qemu-system-x86_64\0") && cmdline.includes(path)) {
        pids.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Resolves to the error code of a TCP connect (or "connected"). */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once("connect", () => {
      socket.destroy();
      done("connected");
    });
    socket.once("timeout", () => {
      socket.destroy();
      done("timeout");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/** Polls URL every 20 ms until stopped; `stop` resolves to when it first answered (epoch ms). */
function watchFirstAnswer(url: string): { stop: () => Promise<number | undefined> } {
  let answeredAt: number | undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped && answeredAt === undefined) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(300) });
        if (response.ok) answeredAt = Date.now();
      } catch {
        // not yet
      }
      await new Promise((done) => setTimeout(done, 20));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return answeredAt;
    },
  };
}

const figures: string[] = [];

function report(label: string, startedAt: number, phases: DeployPhases | undefined): void {
  if (!phases) throw new Error(`no deploy phases recorded for ${label}`);
  const now = Date.now();
  figures.push(
    `${label}: ${now - startedAt} ms in all; pull ${phases.pullMs}, ELF extraction ${phases.extractMs}${phases.elfCached ? " (cached)" : ""}, ops build ${phases.buildMs}${phases.imageCached ? " (cached)" : ""}, QEMU start to a serving, ready VM ${now - phases.bootedAt} (${phases.accel})`,
  );
}

async function cleanup(): Promise<void> {
  const runtime = new UnikernelRuntime(transport());
  await runtime.remove([WEB, `${WEB}-previous`, VOL, `${VOL}-previous`, RO], 0);
  podman("rm", "--force", "--time", "0", API);
}

const kvmPassesOurProbe = await (async () => {
  const usable = (await nodeCapabilities(transport())).kvm.usable;
  if (usable && uni.accel === "tcg")
    console.warn(
      `[unikernel] NOT TESTED HERE: the "KVM not usable" error — this machine's /dev/kvm passes the provider's probe (QEMU starts paused under KVM) although the fixture's guest does not boot under it (${uni.accelReason}); accel "auto" would pick KVM on such a node`,
    );
  return usable;
})();

describe(`Unikernel components over ${overSsh ? "real SSH" : "a local node"}, QEMU (${uni.accel}) and the ops stand-in`, () => {
  let id = "";
  let state: Record<string, unknown> = {};

  beforeAll(async () => {
    console.log(
      `[unikernel] QEMU acceleration for these tests: ${uni.accel} — ${uni.accelReason}\n[unikernel] stand-in kernels: ${uni.kernels.fast} (no volumes), ${uni.kernels.ninep} (9p volumes)`,
    );
    await cleanup();
    // Cold caches, so the first deploy's figures include ELF extraction and ops build.
    const home = (await nodeCapabilities(transport())).home;
    const paths = unikernelPaths(home);
    rmSync(paths.elfCache, { recursive: true, force: true });
    rmSync(paths.builds, { recursive: true, force: true });
    const opsImages = `${home}/.ops/images`;
    if (existsSync(opsImages)) {
      for (const file of readdirSync(opsImages)) {
        if (file.startsWith("pulumi-mcp-")) rmSync(`${opsImages}/${file}`, { force: true });
      }
    }
    rmSync(volumeDir, { recursive: true, force: true });
    mkdirSync(volumeDir, { recursive: true });
    writeFileSync(`${volumeDir}/keep.txt`, "data that must survive\n");
  });

  afterAll(async () => {
    await cleanup();
    await closeAllConnections();
    console.log(`[unikernel] figures:\n  ${figures.join("\n  ")}`);
  });

  it("create → serves HTTP through its forwarded port on the address given, and not on other interfaces", async () => {
    const started = Date.now();
    const firstAnswer = watchFirstAnswer(`http://127.0.0.1:${WEB_PORT}/version`);
    const result = await create(webInputs(uni.images.v1));
    const returned = Date.now();
    report("first deploy (cold caches)", started, lastDeployPhases.get(WEB));
    const answeredAt = await firstAnswer.stop();
    figures.push(
      `first deploy: the provider returned ${answeredAt === undefined ? "before this test saw an answer" : `${returned - answeredAt} ms after this test's first HTTP answer (polled every 20 ms)`}`,
    );
    expect(lastDeployPhases.get(WEB)).toMatchObject({ elfCached: false, imageCached: false });
    id = result.id;
    state = result.outs;
    expect(state).toMatchObject({ containerName: WEB, version: "v1.0.0", state: "running" });
    const url = `http://127.0.0.1:${WEB_PORT}`;
    expect(await httpGet(`${url}/version`)).toBe("v1.0.0");
    // Args are cmd; argv[0] is the entrypoint's path, as in its container; env values arrive verbatim.
    expect(await httpGet(`${url}/argv0`)).toBe("/serve");
    expect(await httpGet(`${url}/argc`)).toBe("2");
    expect(await httpGet(`${url}/args/2`)).toBe("two words");
    expect(await httpGet(`${url}/env/GREETING`)).toBe("hello 'unikernel' world");
    // Only 127.0.0.1 listens: another loopback address of this machine is refused.
    const listeners = execFileSync("ss", ["-Hltn", `sport = :${WEB_PORT}`], { encoding: "utf8" });
    expect(listeners.trim().split(/\s+/)[3]).toBe(`127.0.0.1:${WEB_PORT}`);
    expect(await connectOutcome("127.0.0.2", WEB_PORT)).toBe("ECONNREFUSED");
  });

  it("a redeploy of the same image digest neither extracts nor builds again", async () => {
    const before = builds();
    const started = Date.now();
    state = await update(id, state, webInputs(uni.images.v1, { memoryMb: 192 }));
    report("redeploy, same digest", started, lastDeployPhases.get(WEB));
    expect(lastDeployPhases.get(WEB)).toMatchObject({ elfCached: true, imageCached: true });
    expect(builds()).toBe(before);
    expect(await httpGet(`http://127.0.0.1:${WEB_PORT}/version`)).toBe("v1.0.0");
  });

  it("tag bump → the new VM serves, the old VM and its state are gone", async () => {
    const runtime = new UnikernelRuntime(transport());
    const old = await runtime.inspect(WEB);
    const oldPid = Number(old?.labels[VM_LABELS.pid]);
    expect(oldPid).toBeGreaterThan(0);
    const news = await checked(webInputs(uni.images.v2, { memoryMb: 192 }));
    const diff = await provider.diff(id, state, news);
    expect(diff).toMatchObject({ changes: true });
    expect(diff.replaces ?? []).toEqual([]);
    const started = Date.now();
    state = await update(id, state, webInputs(uni.images.v2, { memoryMb: 192 }));
    report("tag bump (new digest)", started, lastDeployPhases.get(WEB));
    expect(state).toMatchObject({ version: "v2.0.0", state: "running" });
    expect(await httpGet(`http://127.0.0.1:${WEB_PORT}/version`)).toBe("v2.0.0");
    expect(alive(oldPid)).toBe(false);
    expect(await ourVmDirs()).toEqual([WEB]);
    const now = await runtime.inspect(WEB);
    expect(now?.labels[VM_LABELS.pid]).not.toBe(String(oldPid));
  });

  it("a version whose service never listens → rolled back with the console tail, the old VM still serves", async () => {
    const { message } = await failureOf(
      update(id, state, webInputs(uni.images.neverListens, { memoryMb: 192, startTimeout: 60 })),
    );
    expect(message).toContain("rolled back");
    expect(message).toMatch(/does not answer/);
    expect(message).toContain("mcp-test-uni v3.0.0 starting: this version never listens");
    expect(await httpGet(`http://127.0.0.1:${WEB_PORT}/version`, 40_000)).toBe("v2.0.0");
    expect(await ourVmDirs()).toEqual([WEB]);
  });

  it("read reports what runs, and it diffs clean against the same inputs", async () => {
    const read = await provider.read(id, state);
    expect(read.props).toMatchObject({
      image: uni.images.v2,
      version: "v2.0.0",
      state: "running",
      runtime: "unikernel",
      ports: [`127.0.0.1:${WEB_PORT}:8080/tcp`],
      cmd: ["--flag", "two words"],
      env: { GREETING: "hello 'unikernel' world", EMPTY: "" },
    });
    const diff = await provider.diff(
      id,
      read.props as Record<string, unknown>,
      await checked(webInputs(uni.images.v2, { memoryMb: 192 })),
    );
    expect(diff.changes).toBe(false);
  });

  it("containers and VMs of one service on one node are listed together", async () => {
    const api = await create({
      ...nodeInputs(),
      service: SERVICE,
      name: "api",
      image: nodes.images.v1,
      ports: [`127.0.0.1:${API_PORT}:8080`],
      stopTimeout: 1,
      minUptime: 0,
      startTimeout: 20,
    });
    try {
      const ours = (await listAll(transport())).filter(
        (live) => live.labels["io.pulumi-mcp.service"] === SERVICE,
      );
      expect(ours.map((live) => [live.name, live.runtime, live.state])).toEqual([
        [API, "container", "running"],
        [WEB, "unikernel", "running"],
      ]);
    } finally {
      await provider.delete(api.id, api.outs);
    }
  });

  it("qemu killed out of band → read reports it not running", async () => {
    const live = await new UnikernelRuntime(transport()).inspect(WEB);
    const pid = Number(live?.labels[VM_LABELS.pid]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 50 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 100));
    const read = await provider.read(id, state);
    expect(read.id).toBe(id);
    expect(read.props).toMatchObject({ state: "exited" });
    // The next update boots it again in place.
    await provider.delete(id, state);
    expect(await ourVmDirs()).toEqual([]);
  });

  it("volumes are 9p shares at the container path; delete → no qemu process, no state directory, volume data intact", async () => {
    const inputs = {
      ...webInputs(uni.images.v1),
      name: "vol",
      ports: [`127.0.0.1:${VOL_PORT}:8080`],
      volumes: [`${volumeDir}:/data`],
      env: { BOOT_LOG: "/data/boots.log" },
    };
    const started = Date.now();
    const result = await create(inputs);
    report("first deploy with a 9p volume", started, lastDeployPhases.get(VOL));
    const url = `http://127.0.0.1:${VOL_PORT}`;
    expect(await httpGet(`${url}/file/data/keep.txt`)).toBe("data that must survive\n");
    expect(readFileSync(`${volumeDir}/boots.log`, "utf8")).toBe("booted v1.0.0\n");
    const dir = `${await vmsDir()}/${VOL}`;
    expect(qemuProcessesFor(dir).length).toBe(1);

    await provider.delete(result.id, result.outs);
    expect(qemuProcessesFor(dir).filter(alive)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(`${volumeDir}/keep.txt`, "utf8")).toBe("data that must survive\n");
    expect(readFileSync(`${volumeDir}/boots.log`, "utf8")).toBe("booted v1.0.0\n");
    // Deleting what is already gone is not an error.
    await provider.delete(result.id, result.outs);
  });

  it("a :ro volume is refused at check, naming the field, the value and why", async () => {
    const result = await provider.check(
      {},
      { ...webInputs(uni.images.v1), name: "ro", volumes: [`${volumeDir}:/data:ro`] },
    );
    expect(result.failures).toEqual([
      {
        property: "volumes[0]",
        reason: expect.stringContaining(
          `volumes[0] = "${volumeDir}:/data:ro": a unikernel cannot read a read-only share: Nanos's 9p client opens every file read-write`,
        ),
      },
    ]);
  });

  it("the stand-in, like Nanos, gives the program nothing it can read in a share QEMU exports read-only", async () => {
    // Past check, straight to the runtime: what a :ro volume did before check refused it.
    const outcome = checkComponent({
      ...webInputs(uni.images.v1),
      name: "ro",
      ports: [`127.0.0.1:${RO_PORT}:8080`],
      volumes: [`${volumeDir}:/data`],
    });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
    const spec = { ...outcome.spec, volumes: [`${volumeDir}:/data:ro`] };
    const runtime = new UnikernelRuntime(transport());
    await runtime.pull(spec);
    await runtime.run(spec, RO, "ro-test");
    try {
      const url = `http://127.0.0.1:${RO_PORT}`;
      expect(await httpGet(`${url}/version`, 90_000)).toBe("v1.0.0");
      // On Linux's 9p this read worked (the old test passed); Nanos gets EROFS, and so does the stand-in.
      const response = await fetch(`${url}/file/data/keep.txt`);
      expect([response.status, await response.text()]).toEqual([404, "no such file\n"]);
      expect(await runtime.logs(RO, 50)).toContain(
        "9p share 1 at /data is exported read-only: Nanos opens every 9p file read-write",
      );
    } finally {
      await runtime.remove([RO], 0);
    }
    expect(readFileSync(`${volumeDir}/keep.txt`, "utf8")).toBe("data that must survive\n");
  });

  // Needs a node whose KVM our probe (a paused QEMU under KVM) finds unusable. Some machines of
  // this kind pass that probe while the test guest still fails to boot under KVM (the fixture's
  // full boot test, hence uni.accel "tcg"): then this cannot be shown here, and it says so.
  it.skipIf(uni.accel === "kvm" || kvmPassesOurProbe)(
    'accel "kvm" on a node whose KVM does not work → a clear error before anything is touched',
    async () => {
      const { message } = await failureOf(
        create({ ...webInputs(uni.images.v1), name: "kvm", accel: "kvm" }),
      );
      expect(message).toMatch(/accel "kvm" asked for, but KVM is not usable on node/);
      expect(await ourVmDirs()).toEqual([]);
    },
  );
});

describe("ops' offline files: a local node with a home of its own, one file missing at a time", () => {
  const realHome = process.env.HOME;
  const inputs = () => ({
    ...LOCAL_NODE,
    service: SERVICE,
    name: "offline",
    runtime: "unikernel",
    accel: uni.accel,
    image: uni.images.v1,
    ports: [`127.0.0.1:${OFFLINE_PORT}:8080`],
    stopTimeout: 1,
    minUptime: 0,
    startTimeout: 90,
  });

  /** A home whose ~/.ops is laid out as ops has it, less `missing` (a path under ~/.ops). */
  function homeWithout(missing: string | undefined): { home: string; opsDir: string } {
    const home = mkdtempSync(`${nodes.stateDir}/unikernel/home-`);
    const opsDir = `${home}/.ops`;
    layOutOpsHome(opsDir);
    if (missing) rmSync(`${opsDir}/${missing}`);
    return { home, opsDir };
  }

  function useHome(home: string | undefined): void {
    process.env.HOME = home;
    forgetCapabilities();
  }

  afterAll(() => useHome(realHome));

  const version = uni.opsHome.nanosVersion;

  it.each([
    ["latest.txt", "latest.txt (the Nanos version ops uses)"],
    [`${version}/kernel.img`, `${version}/kernel.img (the Nanos ${version} kernel)`],
    [`${version}/boot.img`, `${version}/boot.img (the Nanos ${version} boot loader)`],
  ])(
    "without ~/.ops/%s → a clear error naming it, before anything is touched",
    async (missing, named) => {
      const { home, opsDir } = homeWithout(missing);
      useHome(home);
      const before = builds();
      const { message } = await failureOf(create(inputs()));
      expect(message).toContain(`node local cannot run unikernels: ops has no ${opsDir}/${named}`);
      expect(message).toContain("run `ops update` once where ops can download them");
      expect(builds()).toBe(before);
      // The node lock and its owner file (taken once per node and run, so by the first of these) may be
      // there; no VM directory, extracted ELF or image may.
      const ours = existsSync(`${home}/.pulumi-mcp`) ? readdirSync(`${home}/.pulumi-mcp`) : [];
      expect(ours.filter((entry) => !entry.startsWith("node.lock"))).toEqual([]);
      expect(existsSync(`${opsDir}/images`)).toBe(false);
    },
  );

  it("with all of them, the same component deploys, serves and is deleted", async () => {
    const { home } = homeWithout(undefined);
    useHome(home);
    const result = await create(inputs());
    try {
      expect(await httpGet(`http://127.0.0.1:${OFFLINE_PORT}/argv0`, 40_000)).toBe("/serve");
    } finally {
      await provider.delete(result.id, result.outs);
    }
    expect(readdirSync(`${home}/.pulumi-mcp/unikernel/vms`)).toEqual([]);
  });

  it('the stand-in itself fails as ops does offline: no latest.txt → "No local build found."', () => {
    const { home } = homeWithout("latest.txt");
    const run = spawnSync(uni.standinOps, ["build", "/serve", "-i", "x", "-c", "/dev/null"], {
      env: { ...process.env, HOME: home, OPS_HOME: "" },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("No local build found.");
  });
});

describe("the KVM probe runs guest code (the BIOS), not just a paused QEMU", () => {
  const kvmOpen = (() => {
    try {
      execFileSync("test", ["-r", "/dev/kvm", "-a", "-w", "/dev/kvm"]);
      return true;
    } catch {
      return false;
    }
  })();
  if (!kvmOpen)
    console.warn("[unikernel] NOT TESTED HERE: the KVM probe's mechanics (no usable /dev/kvm)");

  /** The node probe run here with the KVM probe's argv changed by `edit`. */
  function kvmVerdict(edit: (argv: string[]) => string[]): { usable: boolean; detail: string } {
    const probe = qemuKvmProbe();
    const step = probeNode({ ...probe, argv: edit(probe.argv) });
    const [file = "sh", ...args] = step.argv;
    const out = spawnSync(file, args, { input: step.stdin, encoding: "utf8", timeout: 60_000 });
    return parseCapabilities(out.stdout).kvm;
  }

  it.skipIf(!kvmOpen)("counts as usable when the BIOS runs to its end (shown under TCG)", () => {
    const tcg = kvmVerdict((argv) => argv.map((arg) => arg.replace("accel=kvm", "accel=tcg")));
    expect(tcg).toEqual({ usable: true, detail: "/dev/kvm works with QEMU" });
  });

  it.skipIf(!kvmOpen)("does not count a QEMU that exits 0 without running the guest", () => {
    const version = kvmVerdict((argv) => [argv[0] ?? "qemu-system-x86_64", "-version"]);
    expect(version.usable).toBe(false);
  });

  it("agrees with the fixture's full boot test on this machine", async () => {
    const caps = await nodeCapabilities(transportOf(LOCAL_NODE));
    console.log(
      `[unikernel] provider KVM probe: ${caps.kvm.usable ? "usable" : `not usable (${caps.kvm.detail})`}; fixture boot test: ${uni.accel} (${uni.accelReason})`,
    );
    if (uni.accel === "tcg" && caps.kvm.usable) {
      console.warn(
        "[unikernel] the BIOS runs under this KVM but the fixture's guest does not boot: accel auto would pick KVM here",
      );
    }
    if (uni.accel === "kvm") expect(caps.kvm.usable).toBe(true);
  });
});
