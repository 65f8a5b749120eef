/**
 * The rootless lane: the provider logs in as the fixture's unprivileged login
 * (rootless podman, as MCP's `mcp`) over the real sshd. A representative
 * subset of the root lane (lifecycle with rollback, env and secretFiles,
 * ports, volumes, the node lock, refresh/drift, Service) plus the preflight:
 * each case takes the thing away from the test node and sees the error.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFinished as onTeardown } from "vitest";
import { forgetNodeFacts } from "../../provider/runtime/node-preflight";
import { closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { checked, create, provider, update } from "./provider-calls";
import { checkedService, serviceProvider } from "./service-calls";
import {
  httpGet,
  loadTestNodes,
  podman,
  podmanAs as podmanAsLogin,
  type RootlessNodes,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes() as RootlessNodes;
const rl = nodes.rootless;
const PORT = 18950;
const SVC_PORTS = { web: 18951, api: 18952 };
const NAME = "rl-web";
const dataDir = `${rl.home}/rl-data`;

function podmanAs(...args: string[]) {
  return podmanAsLogin(rl, ...args);
}

function namesAs(): string[] {
  return podmanAs("ps", "--all", "--format", "{{.Names}}").stdout.split("\n").filter(Boolean);
}

function removeAs(...names: string[]): void {
  for (const name of names) podmanAs("rm", "--force", "--time", "0", name);
}

function asLogin(user = rl.user, extra: Record<string, unknown> = {}) {
  const base = sshNodeInputs(nodes, extra);
  return { ...base, node: { ...base.node, user } };
}

function inputs(image: string, extra: Record<string, unknown> = {}) {
  return {
    ...asLogin(),
    service: "rl",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    volumes: [`${dataDir}:/srv/data`],
    env: { LOG_LEVEL: "info" },
    secretFiles: { token: "rootless-secret" },
    stopTimeout: 1,
    minUptime: 1,
    startTimeout: 30,
    ...extra,
  };
}

const version = async (port: number) => (await httpGet(`http://127.0.0.1:${port}/version`)).trim();

beforeAll(() => {
  removeAs(NAME, `${NAME}-previous`, "rl-svc-web", "rl-svc-api", "rl-limit");
  removeContainers("rl-limit");
  rmSync(dataDir, { recursive: true, force: true });
});

afterAll(async () => {
  removeAs(NAME, `${NAME}-previous`, "rl-svc-web", "rl-svc-api", "rl-limit");
  removeContainers("rl-limit");
  await closeAllConnections();
});

describe(`Component as the rootless login (${rl.user}, uid ${rl.uid})`, () => {
  let id = "";
  let state: Record<string, unknown> = {};

  it("create → runs under the login's podman, not root's; port, env and secret file work", async () => {
    const result = await create(inputs(nodes.images.v1));
    id = result.id;
    state = result.outs;
    expect(state).toMatchObject({ containerName: NAME, version: "v1.0.0", state: "running" });
    expect(await version(PORT)).toBe("v1.0.0");
    expect(await httpGet(`http://127.0.0.1:${PORT}/env/LOG_LEVEL`)).toBe("info");
    expect(namesAs()).toContain(NAME);
    expect(podman("container", "exists", NAME).exitCode).not.toBe(0);
    const secret = podmanAs("exec", NAME, "/bin/busybox", "cat", "/run/secrets/token");
    expect(secret.stdout).toBe("rootless-secret");
    // podman secrets are per user: none lingers in the login's store.
    expect(podmanAs("secret", "ls", "--format", "{{.Name}}").stdout).not.toContain(NAME);
  });

  it("a missing volume directory under the login's home is created, owned by the login", () => {
    expect(statSync(dataDir).uid).toBe(rl.uid);
  });

  it("a file the container writes as its uid 0 lands owned by the login on the host", () => {
    const wrote = podmanAs("exec", NAME, "/bin/busybox", "sh", "-c", "id -u >/srv/data/by-root");
    expect(wrote.exitCode, wrote.stderr).toBe(0);
    const file = statSync(`${dataDir}/by-root`);
    expect(file.uid).toBe(rl.uid);
    expect(file.gid).not.toBe(0);
  });

  it("the node lock lives in the login's home", () => {
    expect(existsSync(`${rl.home}/.pulumi-mcp/node.lock`)).toBe(true);
    expect(statSync(`${rl.home}/.pulumi-mcp/node.lock`).uid).toBe(rl.uid);
  });

  it("update to a version that crashes → rolled back, v1 still serving", async () => {
    const { message } = await failureOf(update(id, state, inputs(nodes.images.crash)));
    expect(message).toContain("rolled back");
    expect(message).toContain("crashing on purpose");
    expect(await version(PORT)).toBe("v1.0.0");
    expect(namesAs().filter((name) => name.startsWith(NAME))).toEqual([NAME]);
  });

  it("tag bump → v2 in place; the secret file is there again", async () => {
    state = await update(id, state, inputs(nodes.images.v2));
    expect(state).toMatchObject({ version: "v2.0.0", state: "running" });
    expect(await version(PORT)).toBe("v2.0.0");
    const secret = podmanAs("exec", NAME, "/bin/busybox", "cat", "/run/secrets/token");
    expect(secret.stdout).toBe("rootless-secret");
  });

  it("refresh diffs clean; another version run by hand shows as a diff; removed → gone", async () => {
    const read = await provider.read(id, state);
    // Rootless podman's default network mode (slirp4netns) reads back as no network asked for.
    expect(read.props).toMatchObject({ version: "v2.0.0", state: "running" });
    expect((read.props as Record<string, unknown>).network).toBeUndefined();
    const clean = await provider.diff(
      id,
      read.props as Record<string, unknown>,
      await checked(inputs(nodes.images.v2)),
    );
    expect(clean.changes, JSON.stringify(clean)).toBe(false);

    removeAs(NAME);
    const byHand = podmanAs("run", "-d", "--name", NAME, nodes.images.v1);
    expect(byHand.exitCode, byHand.stderr).toBe(0);
    const drifted = await provider.read(id, state);
    expect(drifted.props).toMatchObject({ version: "v1.0.0" });

    removeAs(NAME);
    const gone = await provider.read(id, state);
    expect(gone.id ?? "").toBe("");
  });

  it("delete removes nothing but the container; the data stays", async () => {
    state = (await create(inputs(nodes.images.v2))).outs;
    await provider.delete(id, state);
    expect(namesAs()).not.toContain(NAME);
    expect(existsSync(`${dataDir}/by-root`)).toBe(true);
  });
});

describe("Service as the rootless login", () => {
  it("creates, updates and deletes two components", async () => {
    const service = (image: string) => ({
      ...asLogin(),
      name: "rl-svc",
      components: Object.entries(SVC_PORTS).map(([name, port]) => ({
        name,
        image,
        ports: [`127.0.0.1:${port}:8080`],
        stopTimeout: 1,
        minUptime: 1,
        startTimeout: 30,
      })),
      componentEnv: [{ TOKEN: "svc-token" }, {}],
    });
    const created = await serviceProvider.create(await checkedService(service(nodes.images.v1)));
    expect(created.outs.status).toMatchObject({
      web: { containerName: "rl-svc-web", version: "v1.0.0", state: "running" },
      api: { containerName: "rl-svc-api", version: "v1.0.0", state: "running" },
    });
    expect(await httpGet(`http://127.0.0.1:${SVC_PORTS.web}/env/TOKEN`)).toBe("svc-token");
    const updated = await serviceProvider.update(
      created.id,
      created.outs,
      await checkedService(service(nodes.images.v2)),
    );
    expect(await version(SVC_PORTS.api)).toBe("v2.0.0");
    await serviceProvider.delete(created.id, updated.outs ?? {});
    expect(namesAs().filter((name) => name.startsWith("rl-svc-"))).toEqual([]);
  });
});

describe("preflight: each thing taken away from the test node is refused, naming it and its fix", () => {
  const bare = rl.bare;
  const bareRuntimeDir = `/tmp/podman-run-${bare.uid}`;

  function limited(user: string, extra: Record<string, unknown> = {}) {
    return {
      ...asLogin(user),
      service: "rl",
      name: "limit",
      image: nodes.images.v1,
      ports: [`127.0.0.1:${PORT + 10}:8080`],
      stopTimeout: 1,
      minUptime: 1,
      startTimeout: 30,
      ...extra,
    };
  }

  beforeAll(() => {
    rmSync(bareRuntimeDir, { recursive: true, force: true });
    forgetNodeFacts();
  });
  afterAll(() => {
    rmSync(bareRuntimeDir, { recursive: true, force: true });
    forgetNodeFacts();
  });

  it(`no subordinate ids (${bare.user}) → refused before anything is touched`, async () => {
    const { message } = await failureOf(create(limited(bare.user)));
    expect(message).toContain(`node ${bare.user}@127.0.0.1:${nodes.node.port} cannot run rl-limit`);
    expect(message).toContain("nothing was changed");
    expect(message).toContain("no subordinate ids in /etc/subuid and /etc/subgid");
    expect(message).toContain(`sudo usermod --add-subuids`);
    expect(message).not.toContain("runtime directory");
    // Not even podman ran: it would have made its runtime directory.
    expect(existsSync(bareRuntimeDir)).toBe(false);
  });

  it("a runtime directory podman cannot use (taken by root) → refused, naming it", async () => {
    mkdirSync(bareRuntimeDir, { mode: 0o700 });
    chmodSync(bareRuntimeDir, 0o700);
    forgetNodeFacts();
    const { message } = await failureOf(create(limited(bare.user)));
    expect(message).toContain(`no usable runtime directory for rootless podman: ${bareRuntimeDir}`);
    expect(message).toContain("belongs to root");
    expect(message).toContain(`sudo rm -rf ${bareRuntimeDir}`);
  });

  it("a host port below net.ipv4.ip_unprivileged_port_start → refused", async () => {
    const start = Number(
      spawnSync("cat", ["/proc/sys/net/ipv4/ip_unprivileged_port_start"], { encoding: "utf8" })
        .stdout,
    );
    expect(start).toBeGreaterThan(80);
    const { message } = await failureOf(create(limited(rl.user, { ports: ["127.0.0.1:80:8080"] })));
    expect(message).toContain(`node ${rl.user}@127.0.0.1:${nodes.node.port}`);
    expect(message).toContain(
      `host port 80 ("127.0.0.1:80:8080/tcp") is below net.ipv4.ip_unprivileged_port_start (${start})`,
    );
    expect(namesAs()).not.toContain("rl-limit");
  });

  it("memoryMb as the rootless login on cgroup v1 → refused, naming memoryMb and the reason", async () => {
    const { message } = await failureOf(create(limited(rl.user, { memoryMb: 64 })));
    expect(message).toContain("memoryMb: 64 cannot be enforced");
    expect(message).toContain("cgroup v1");
    expect(namesAs()).not.toContain("rl-limit");
  });

  it("memoryMb as root → enforced: podman inspect shows the limit", async () => {
    const result = await create(limited("root", { memoryMb: 64 }));
    const memory = podman("container", "inspect", "--format", "{{.HostConfig.Memory}}", "rl-limit");
    expect(memory.stdout.trim()).toBe(String(64 * 1024 * 1024));
    await provider.delete(result.id, result.outs);
  });

  it("a volume directory the login cannot create → refused with the command that fixes it", async () => {
    const dir = `/srv/rl-missing-${process.pid}`;
    const { message } = await failureOf(
      create(limited(rl.user, { volumes: [`${dir}:/srv/data`] })),
    );
    expect(message).toContain(
      `host directory ${dir} does not exist and ${rl.user} cannot create it`,
    );
    expect(message).toContain(`\`sudo install -d -o ${rl.user} ${dir}\``);
    expect(existsSync(dir)).toBe(false);
  });

  it("a volume directory the login cannot write (root's) → refused with the command that fixes it", async () => {
    const dir = `/tmp/rl-root-owned-${process.pid}`;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    onTeardown(() => rmSync(dir, { recursive: true, force: true }));
    const { message } = await failureOf(
      create(limited(rl.user, { volumes: [`${dir}:/srv/data`] })),
    );
    expect(message).toContain(`host directory ${dir} is not writable by ${rl.user}`);
    expect(message).toContain(`\`sudo install -d -o ${rl.user} ${dir}\``);
    expect(namesAs()).not.toContain("rl-limit");
  });
});
