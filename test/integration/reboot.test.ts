// A real reboot of a real systemd node (test/fixtures/systemd-node: Debian 12 booted with
// systemd-nspawn, its own systemd as PID 1, sshd, rootful podman and QEMU; this machine's own
// init is not systemd). A Service of a database-like container, a web container and a
// unikernel VM (declared in that order), a Component that is deleted before the reboot and
// one with restart "no" are deployed through the providers over SSH; then the node's systemd
// reboots it (`systemctl reboot`: every process of the node ends, nspawn boots it again) and
// each component must answer again, started in the declared order, while the deleted one
// stays gone and the restart "no" one stays down. Then: refresh reports a unit disabled by
// hand as drift, and the update that follows only re-enables it.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkComponent } from "../../provider/spec/check-component";
import { closeAllConnections, transportFor } from "../../provider/transport";
import { create, provider } from "./provider-calls";
import { checkedService, serviceProvider } from "./service-calls";
import { loadTestNodes } from "./test-nodes";

const nodes = loadTestNodes();
const NODE_FILE =
  process.env.PULUMI_MCP_TEST_SYSTEMD_NODE ??
  resolve(__dirname, "../../.test-nodes/systemd-node.json");

interface SystemdNode {
  node: {
    host: string;
    port: number;
    user: string;
    privateKeyPath: string;
    hostKeyFingerprint: string;
  };
  /** The node's fixture directory (its bridges' pid files). */
  stateDir: string;
}

function loadSystemdNode(): SystemdNode {
  try {
    return JSON.parse(readFileSync(NODE_FILE, "utf8")) as SystemdNode;
  } catch {
    throw new Error(
      `the reboot test needs the systemd node: run \`bash test/fixtures/systemd-node/setup.sh up\` (npm run nodes does) — no ${NODE_FILE}`,
    );
  }
}

const sys = loadSystemdNode();
const uni = JSON.parse(readFileSync(`${nodes.stateDir}/unikernel.json`, "utf8")) as {
  images: { v1: string };
};
const key = readFileSync(sys.node.privateKeyPath, "utf8");
// bootPersistence is left at its default (true): this node runs systemd.
const nodeInputs = {
  node: {
    host: sys.node.host,
    port: sys.node.port,
    user: sys.node.user,
    hostKey: sys.node.hostKeyFingerprint,
    connectTimeoutMs: 5_000,
    connectRetries: 5,
  },
  credentials: { privateKey: key },
};
const PORTS = { db: 18701, web: 18702, vm: 18703, gone: 18704, manual: 18705 };
const timing = { stopTimeout: 1, minUptime: 1, startTimeout: 60 };

function serviceInputs(extra: Record<string, unknown> = {}) {
  return {
    ...nodeInputs,
    name: "rb",
    components: [
      { name: "db", image: nodes.images.v1, ports: [`127.0.0.1:${PORTS.db}:8080`], ...timing },
      { name: "web", image: nodes.images.v1, ports: [`127.0.0.1:${PORTS.web}:8080`], ...timing },
      {
        name: "vm",
        runtime: "unikernel",
        accel: "tcg",
        image: uni.images.v1,
        ports: [`127.0.0.1:${PORTS.vm}:8080`],
        ...timing,
        startTimeout: 180,
      },
    ],
    componentEnv: [{}, {}, {}],
    ...extra,
  };
}

const componentInputs = (name: string, extra: Record<string, unknown> = {}) => ({
  ...nodeInputs,
  service: "rbx",
  name,
  image: nodes.images.v1,
  ports: [`127.0.0.1:${PORTS[name as keyof typeof PORTS]}:8080`],
  ...timing,
  ...extra,
});

/** The node as check normalises it (defaults filled): what the providers connect with. */
const checked = checkComponent(componentInputs("gone"));
if (!checked.ok) throw new Error(JSON.stringify(checked.failures));
const { node: target, credentials } = checked.spec;
const transport = () => transportFor(target, credentials);

/** Runs a shell command on the systemd node (over the provider's own SSH transport). */
async function onNode(
  script: string,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return transport().run(["sh", "-c", script]);
}

async function answers(port: number, totalMs = 120_000): Promise<string> {
  const deadline = Date.now() + totalMs;
  let last = "";
  while (Date.now() < deadline) {
    const result = await onNode(`curl -fsS -m 2 http://127.0.0.1:${port}/`).catch((error) => ({
      exitCode: -1,
      stdout: "",
      stderr: String(error),
    }));
    if (result.exitCode === 0) return result.stdout;
    last = result.stderr;
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error(`nothing answers on the node's 127.0.0.1:${port}: ${last}`);
}

const unit = (workload: string) => `/etc/systemd/system/pulumi-mcp-${workload}.service`;

/** A systemd timestamp of a unit, in microseconds since the node booted. */
async function monotonic(workload: string, property: string): Promise<number> {
  const out = await onNode(`systemctl show -P ${property} pulumi-mcp-${workload}.service`);
  return Number(out.stdout.trim());
}

const CLEAN = `
for c in $(podman ps -aq --filter label=io.pulumi-mcp.service=rb --filter label=io.pulumi-mcp.service=rbx); do podman rm -f -t 0 "$c" >/dev/null; done
for d in /root/.pulumi-mcp/unikernel/vms/rb-*; do [ -d "$d" ] || continue; p=$(cat "$d/qemu.pid" 2>/dev/null) && kill -9 "$p" 2>/dev/null; rm -rf "$d"; done
rm -f /etc/systemd/system/pulumi-mcp-rb-* /etc/systemd/system/pulumi-mcp-rbx-* /etc/systemd/system/multi-user.target.wants/pulumi-mcp-rb-* /etc/systemd/system/multi-user.target.wants/pulumi-mcp-rbx-*
systemctl daemon-reload
`;

beforeAll(async () => {
  const cleaned = await onNode(CLEAN);
  expect(cleaned.exitCode, cleaned.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  await onNode(CLEAN).catch(() => undefined);
  await closeAllConnections();
}, 60_000);

/**
 * Our loopback bridge to the node (systemd-socket-activate + proxyd on the host, not the
 * node) was seen gone once after a reboot in a loaded CI-like run, cause not found. It is the
 * fixture's plumbing, not what this test proves: restart it (setup.sh up, idempotent) and say
 * so loudly, instead of reporting the node as not back.
 */
function restartDeadBridge(): void {
  const pidFile = `${sys.stateDir}/ssh-bridge.pid`;
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : 0;
  try {
    if (pid > 0) process.kill(pid, 0);
    return;
  } catch {
    console.warn(
      `[reboot] FIXTURE: the SSH bridge to the systemd node (pid ${pid}) is gone; restarting it with setup.sh up`,
    );
  }
  const setup = resolve(__dirname, "../fixtures/systemd-node/setup.sh");
  const result = spawnSync("bash", [setup, "up"], { encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) console.warn(`[reboot] setup.sh up failed: ${result.stderr}`);
}

describe("a real reboot of a systemd node: every component comes back, in order", () => {
  let serviceState: Record<string, unknown> = {};
  let manualState: Record<string, unknown> = {};

  it("deploys: one enabled, verified unit per workload; restart 'no' gets none; a deleted one's goes", async () => {
    const created = await serviceProvider.create(await checkedService(serviceInputs()));
    serviceState = created.outs as Record<string, unknown>;
    const gone = await create(componentInputs("gone"));
    manualState = (await create(componentInputs("manual", { restart: "no" }))).outs;
    expect(gone.outs.bootUnit).toBe("enabled");
    expect(manualState.bootUnit).toBe("none");

    for (const workload of ["rb-db", "rb-web", "rb-vm", "rbx-gone"]) {
      const checked = await onNode(
        `systemctl is-enabled pulumi-mcp-${workload}.service && systemd-analyze verify ${unit(workload)}`,
      );
      expect(checked.stdout.trim(), `${workload}: ${checked.stderr}`).toBe("enabled");
      expect(checked.exitCode, `${workload}: ${checked.stderr}`).toBe(0);
    }
    const web = (await onNode(`cat ${unit("rb-web")}`)).stdout;
    expect(web).toContain("After=pulumi-mcp-rb-db.service");
    expect(web).toContain('ExecStart="podman" "start" "--" "rb-web"');
    const vm = (await onNode(`cat ${unit("rb-vm")}`)).stdout;
    expect(vm).toContain("After=pulumi-mcp-rb-db.service pulumi-mcp-rb-web.service");
    expect(vm).toContain('"qemu-system-x86_64"');
    expect((await onNode(`test -e ${unit("rbx-manual")}`)).exitCode).not.toBe(0);

    await provider.delete(gone.id, gone.outs);
    expect((await onNode(`test -e ${unit("rbx-gone")}`)).exitCode).not.toBe(0);
    for (const port of [PORTS.db, PORTS.web, PORTS.vm, PORTS.manual]) await answers(port);
  }, 600_000);

  it("after systemctl reboot, db, web and the VM answer again, started in that order; the rest stay down", async () => {
    await onNode("echo before-reboot >/run/pulumi-mcp-test-marker");
    const before = await onNode("podman inspect --format '{{.State.Pid}}' rb-db");
    // The reboot ends the SSH session under the command: its result is not ours to judge.
    await onNode("systemctl reboot").catch(() => undefined);
    await closeAllConnections();
    const deadline = Date.now() + 300_000;
    for (;;) {
      const up = await onNode(
        "test ! -e /run/pulumi-mcp-test-marker && systemctl is-system-running --wait",
      ).catch(() => undefined);
      if (up?.exitCode === 0) break;
      if (Date.now() > deadline) throw new Error("the systemd node did not come back within 300 s");
      restartDeadBridge();
      await closeAllConnections();
      await new Promise((done) => setTimeout(done, 1_000));
    }
    // /run is a fresh tmpfs and the container's process is another one: the node really rebooted.
    const after = await onNode("podman inspect --format '{{.State.Pid}}' rb-db");
    expect(after.stdout.trim()).not.toBe(before.stdout.trim());

    expect(await answers(PORTS.db)).toContain("v1.0.0");
    expect(await answers(PORTS.web)).toContain("v1.0.0");
    await answers(PORTS.vm);
    // Declared order: web's start began after db's unit had started, the VM's after web's.
    const dbUp = await monotonic("rb-db", "ActiveEnterTimestampMonotonic");
    const webStart = await monotonic("rb-web", "ExecMainStartTimestampMonotonic");
    const webUp = await monotonic("rb-web", "ActiveEnterTimestampMonotonic");
    const vmStart = await monotonic("rb-vm", "ExecMainStartTimestampMonotonic");
    expect(dbUp).toBeGreaterThan(0);
    expect(webStart).toBeGreaterThanOrEqual(dbUp);
    expect(vmStart).toBeGreaterThanOrEqual(webUp);

    // The deleted component stays gone; the restart "no" one exists and stays down (podman
    // shows a container that was running before the reboot as "Created" again).
    const states = await onNode(
      "podman ps -a --filter label=io.pulumi-mcp.service=rbx --format '{{.Names}} {{.State}}'",
    );
    const lines = states.stdout.trim().split("\n");
    expect(lines.map((line) => line.split(" ")[0])).toEqual(["rbx-manual"]);
    expect(lines[0]).not.toMatch(/running/i);
    expect((await onNode(`curl -fsS -m 2 http://127.0.0.1:${PORTS.manual}/`)).exitCode).not.toBe(0);
  }, 600_000);

  it("refresh reports a unit disabled by hand as drift; the update re-enables it and recreates nothing", async () => {
    const fresh = await serviceProvider.read("rb", serviceState);
    const clean = await serviceProvider.diff(
      "rb",
      fresh.props as Record<string, unknown>,
      await checkedService(serviceInputs()),
    );
    expect(clean.changes).toBe(false);

    const disabled = await onNode("systemctl disable pulumi-mcp-rb-web.service");
    expect(disabled.exitCode, disabled.stderr).toBe(0);
    const refreshed = (await serviceProvider.read("rb", serviceState)).props as Record<
      string,
      unknown
    >;
    const components = refreshed.components as Record<string, Record<string, unknown>>;
    expect(components.web?.bootUnit).toBe("disabled");
    expect(components.db?.bootUnit).toBe("enabled");
    const news = await checkedService(serviceInputs());
    const diff = await serviceProvider.diff("rb", refreshed, news);
    expect(diff.changes).toBe(true);

    const pid = (await onNode("podman inspect --format '{{.State.Pid}}' rb-web")).stdout.trim();
    const updated = await serviceProvider.update("rb", refreshed, news);
    serviceState = updated.outs as Record<string, unknown>;
    expect((await onNode("systemctl is-enabled pulumi-mcp-rb-web.service")).stdout.trim()).toBe(
      "enabled",
    );
    expect((await onNode("podman inspect --format '{{.State.Pid}}' rb-web")).stdout.trim()).toBe(
      pid,
    );
  }, 300_000);

  it("delete removes every unit", async () => {
    await serviceProvider.delete("rb", serviceState);
    await provider.delete("rbx", manualState);
    const left = await onNode("ls /etc/systemd/system | grep -c '^pulumi-mcp-rb' || true");
    expect(left.stdout.trim()).toBe("0");
  }, 300_000);
});
