/**
 * Registry logins over the real sshd, against a real registry that wants
 * them (Debian's docker-registry with htpasswd auth, test/fixtures/registry-auth.sh).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authFileInHome } from "../../provider/commands/registry-login";
import { allCounters, closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import {
  loadPrivateRegistry,
  registryAnswers,
  removeRegistryLogin,
  setRegistryLogin,
} from "./private-registry";
import { checked, create, provider, update } from "./provider-calls";
import {
  httpGet,
  loadTestNodes,
  podman,
  podmanAs,
  type RootlessNodes,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const registry = loadPrivateRegistry();
const SERVICE = "regauth";
const PORTS = { web: 18633, rot: 18634, uni: 18635, rl: 18637 };
const PS_LOG = `${tmpdir()}/regauth-ps-${process.pid}.log`;
const ROTATION_USER = `mcp-rotation-${process.pid}`;
const WRONG = "wrong-password-9c2e41";

type Login = { server: string; username: string; password: string };

function login(password = registry.password, username = registry.username): Login {
  return { server: registry.server, username, password };
}

function inputs(name: string, image: string, registries: Login[] | undefined, port: number) {
  const base = sshNodeInputs(nodes);
  return {
    ...base,
    credentials: { ...base.credentials, ...(registries ? { registries } : {}) },
    service: SERVICE,
    name,
    image,
    ports: [`127.0.0.1:${port}:8080`],
    stopTimeout: 1,
    minUptime: 1,
  };
}

function containerOf(name: string): { id: string; running: boolean } {
  const out = podman("container", "inspect", "--format", "{{.Id}} {{.State.Running}}", name);
  const [id = "", running] = out.stdout.trim().split(" ");
  return { id, running: running === "true" };
}

/** The auth file the provider writes for a login on the test node (root's home: this machine). */
function authFile(username: string): string {
  return `${homedir()}/${authFileInHome(registry.server, username)}`;
}

function authEntry(username: string): string | undefined {
  const json = JSON.parse(readFileSync(authFile(username), "utf8")) as {
    auths?: Record<string, { auth?: string }>;
  };
  return json.auths?.[registry.server]?.auth;
}

const basic = (user: string, password: string) =>
  Buffer.from(`${user}:${password}`).toString("base64");

function channels(): number {
  return [...allCounters().values()].reduce((sum, c) => sum + c.channels, 0);
}

/** Samples the node's full process list (this machine) as fast as it can, into a file. */
function sampleProcessList(): ChildProcess {
  return spawn("bash", ["-c", `while :; do ps -eo args >> "${PS_LOG}"; done`], {
    stdio: "ignore",
    detached: true,
  });
}

const names = [`${SERVICE}-web`, `${SERVICE}-rot`, `${SERVICE}-gone`];

beforeAll(() => {
  removeContainers(...names, ...names.map((name) => `${name}-previous`));
  // Not in the node's image store: every pull below really asks the registry.
  for (const image of [registry.images.v1, registry.images.v2]) podman("rmi", "--force", image);
  rmSync(PS_LOG, { force: true });
  rmSync(authFile(registry.username), { force: true });
});
afterAll(async () => {
  removeContainers(...names, ...names.map((name) => `${name}-previous`));
  rmSync(PS_LOG, { force: true });
  try {
    removeRegistryLogin(registry, ROTATION_USER);
  } catch {
    // never added: the rotation test did not get that far
  }
  await closeAllConnections();
});

describe(`pulls from a registry with authentication (${registry.server})`, () => {
  it("without a login for it: refused, naming the registry and the component; nothing created", async () => {
    const error = await failureOf(create(inputs("web", registry.images.v1, undefined, PORTS.web)));
    expect(error.message).toContain(`creating component ${SERVICE}-web`);
    expect(error.message).toContain(`podman pull ${registry.images.v1} failed`);
    expect(error.message).toContain(`registry ${registry.server} wants credentials`);
    expect(containerOf(`${SERVICE}-web`).id).toBe("");
  });

  it("with node.registries: logs in, pulls v1 then v2; the password never in the node's ps; the auth file 0600 under the login's home", async () => {
    const sampler = sampleProcessList();
    try {
      const created = await create(inputs("web", registry.images.v1, [login()], PORTS.web));
      expect(created.outs.version).toBe("v1.0.0");
      expect(await httpGet(`http://127.0.0.1:${PORTS.web}/version`)).toBe("v1.0.0");
      const updated = await update(
        created.id,
        created.outs,
        inputs("web", registry.images.v2, [login()], PORTS.web),
      );
      expect(updated.version).toBe("v2.0.0");
      expect(await httpGet(`http://127.0.0.1:${PORTS.web}/version`)).toBe("v2.0.0");
    } finally {
      if (sampler.pid) process.kill(-sampler.pid, "SIGKILL");
    }
    const seen = readFileSync(PS_LOG, "utf8");
    expect(seen).toContain("--password-stdin"); // the sampler did see the login…
    expect(seen).not.toContain(registry.password); // …and never the password
    const file = authFile(registry.username);
    expect(file.startsWith(`${homedir()}/.pulumi-mcp/registry-auth/`)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${homedir()}/.pulumi-mcp/registry-auth`).mode & 0o777).toBe(0o700);
    expect(authEntry(registry.username)).toBe(basic(registry.username, registry.password));
  });

  it("a wrong password: refused at login, naming the registry and the component, before the running container is touched", async () => {
    const name = `${SERVICE}-web`;
    const before = containerOf(name);
    expect(before.running).toBe(true);
    const live = await provider.read(`127.0.0.1:${nodes.node.port}/${name}`, {
      ...(await checked(inputs("web", registry.images.v2, [login()], PORTS.web))),
      containerName: name,
    });
    const error = await failureOf(
      update(
        live.id ?? "",
        live.props ?? {},
        inputs("web", registry.images.v1, [login(WRONG)], PORTS.web),
      ),
    );
    expect(error.message).toContain(`updating component ${name}`);
    expect(error.message).toContain(
      `logging in to registry ${registry.server} as ${registry.username} failed`,
    );
    expect(error.message).toMatch(/invalid username\/password|unauthorized/i);
    expect(error.message).not.toContain(WRONG);
    // The old container was never stopped or set aside: same one, still serving v2.
    expect(containerOf(name)).toEqual(before);
    expect(containerOf(`${name}-previous`).id).toBe("");
    expect(await httpGet(`http://127.0.0.1:${PORTS.web}/version`)).toBe("v2.0.0");
    // The good login's auth file was not overwritten by the refused one.
    expect(authEntry(registry.username)).toBe(basic(registry.username, registry.password));
  });

  it("a registry that does not answer: refused at login, naming it", async () => {
    const gone = "127.0.0.1:5999";
    const error = await failureOf(
      create({
        ...inputs("gone", `${gone}/mcp-private/web:v1.0.0`, [{ ...login(), server: gone }], 18636),
      }),
    );
    expect(error.message).toContain(`creating component ${SERVICE}-gone`);
    expect(error.message).toContain(
      `logging in to registry ${gone} as ${registry.username} failed`,
    );
    expect(error.message).not.toContain(registry.password);
    expect(containerOf(`${SERVICE}-gone`).id).toBe("");
  });

  it("rotation: a new password is a state-only update (no command on the node); the next pull logs in with it", async () => {
    const first = "rotation-first-5d1a";
    const second = "rotation-second-8b7c";
    setRegistryLogin(registry, ROTATION_USER, first);
    await registryAnswers(registry, ROTATION_USER, first);
    const created = await create(
      inputs("rot", registry.images.v1, [login(first, ROTATION_USER)], PORTS.rot),
    );
    const revision = `registries.${registry.server}`;
    expect((created.outs.revisions as Record<string, number>)[revision]).toBe(1);
    const container = containerOf(`${SERVICE}-rot`);

    // The registry's password changes; the old one stops working.
    setRegistryLogin(registry, ROTATION_USER, second);
    await registryAnswers(registry, ROTATION_USER, first, false);

    const rotated = inputs("rot", registry.images.v1, [login(second, ROTATION_USER)], PORTS.rot);
    const news = await provider.check(created.outs, rotated);
    expect(news.failures ?? []).toEqual([]);
    const newInputs = news.inputs as Record<string, unknown>;
    expect((newInputs.revisions as Record<string, number>)[revision]).toBe(2);
    const diff = await provider.diff(created.id, created.outs, newInputs);
    expect(diff.changes).toBe(true);
    expect(diff.replaces).toEqual([]);
    const channelsBefore = channels();
    const stateOnly = (await provider.update(created.id, created.outs, newInputs)).outs as Record<
      string,
      unknown
    >;
    expect(channels()).toBe(channelsBefore);
    expect(containerOf(`${SERVICE}-rot`)).toEqual(container);
    const held = (stateOnly.credentials as { registries: Login[] }).registries;
    expect(held).toEqual([login(second, ROTATION_USER)]);

    // The next pull (a new version) logs in again, with the new password: the old one is refused now.
    const updated = await update(
      created.id,
      stateOnly,
      inputs("rot", registry.images.v2, [login(second, ROTATION_USER)], PORTS.rot),
    );
    expect(updated.version).toBe("v2.0.0");
    expect(await httpGet(`http://127.0.0.1:${PORTS.rot}/version`)).toBe("v2.0.0");
    expect(authEntry(ROTATION_USER)).toBe(basic(ROTATION_USER, second));
  });
});

describe("a unikernel component pulls its OCI image with the same login", () => {
  const uni = JSON.parse(readFileSync(`${nodes.stateDir}/unikernel.json`, "utf8")) as {
    accel: "kvm" | "tcg";
  };
  const image = registry.images.uni;
  const uniInputs = (registries: Login[]) => ({
    ...inputs("uni", image ?? "", registries, PORTS.uni),
    runtime: "unikernel",
    accel: uni.accel,
    minUptime: 0,
    startTimeout: 60,
    stopTimeout: 2,
  });
  let made: { id: string; outs: Record<string, unknown> } | undefined;

  afterAll(async () => {
    if (made) await provider.delete(made.id, made.outs);
  });

  it("a wrong password is refused at login, naming the registry; the right one boots the VM", async () => {
    if (!image)
      throw new Error(
        "the private registry holds no unikernel image: run test/fixtures/unikernel/setup.sh up before test/fixtures/registry-auth.sh up",
      );
    podman("rmi", "--force", image);
    const error = await failureOf(create(uniInputs([login(WRONG)])));
    expect(error.message).toContain(`creating component ${SERVICE}-uni`);
    expect(error.message).toContain(`logging in to registry ${registry.server}`);
    made = await create(uniInputs([login()]));
    expect(made.outs).toMatchObject({ version: "v1.0.0", state: "running" });
    expect(await httpGet(`http://127.0.0.1:${PORTS.uni}/version`, 30_000)).toBe("v1.0.0");
  });
});

describe("as the rootless login", () => {
  const rl = (nodes as RootlessNodes).rootless;
  const name = `${SERVICE}-rl`;
  const asRootless = () => {
    const base = inputs("rl", registry.images.v1, [login()], PORTS.rl);
    return { ...base, node: { ...base.node, user: rl.user } };
  };
  afterAll(() => {
    podmanAs(rl, "rm", "--force", "--time", "0", name);
  });

  it("logs in into an auth file in its own home (0600, owned by it), not $XDG_RUNTIME_DIR", async () => {
    podmanAs(rl, "rm", "--force", "--time", "0", name);
    podmanAs(rl, "rmi", "--force", registry.images.v1);
    const made = await create(asRootless());
    expect(made.outs).toMatchObject({ version: "v1.0.0", state: "running" });
    expect(await httpGet(`http://127.0.0.1:${PORTS.rl}/version`)).toBe("v1.0.0");
    const file = `${rl.home}/${authFileInHome(registry.server, registry.username)}`;
    const stat = statSync(file);
    expect(stat.uid).toBe(rl.uid);
    expect(stat.mode & 0o777).toBe(0o600);
    const json = JSON.parse(readFileSync(file, "utf8")) as {
      auths: Record<string, { auth: string }>;
    };
    expect(json.auths[registry.server]?.auth).toBe(basic(registry.username, registry.password));
    await provider.delete(made.id, made.outs);
    expect(podmanAs(rl, "container", "exists", name).exitCode).toBe(1);
  });
});
