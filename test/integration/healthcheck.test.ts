/**
 * Health checks over the real sshd and podman: probed from the node over the
 * pooled connection (HTTP and TCP against the published address, cmd with
 * podman exec), deciding when a create or update is done, rolling back an
 * update that never passes, and showing as state "unhealthy" on refresh.
 *
 * "Serves only after N seconds" is a health endpoint that answers 404 until
 * the test writes its file into a volume (what a migration looks like from
 * outside): the test decides when it becomes ready, so nothing here depends
 * on timing. "Runs but never serves" is the test image with env PORT moved
 * off the published container port: connections to the published port are
 * refused (rootful) or closed at once (rootless).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { create, provider, update } from "./provider-calls";
import { checkedService, serviceProvider } from "./service-calls";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  podman,
  podmanAs,
  type RootlessNodes,
  removeContainers,
  runHandMade,
  sshNodeInputs,
} from "./test-nodes";
import { writeLater } from "./write-later";

const nodes = loadTestNodes();
const PORT = 18971;
const NAME = "hc-web";
const healthDir = `${nodes.stateDir}/volumes/hc-web-health`;
const READY = `${healthDir}/ready`;

/** The published port 8080 is where the health check looks; PORT elsewhere makes the image never serve there. */
const NEVER_SERVES = { PORT: "18999" };

function inputs(image: string, extra: Record<string, unknown> = {}) {
  return {
    ...sshNodeInputs(nodes),
    service: "hc",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    volumes: [`${healthDir}:/www/health`],
    stopTimeout: 1,
    minUptime: 1,
    startTimeout: 40,
    healthcheck: {
      http: { port: 8080, path: "/health/ready" },
      interval: 1,
      timeout: 1,
      retries: 3,
    },
    ...extra,
  };
}

/**
 * For an endpoint the test makes ready 4 s on: 8 failures in a row take at least 7 s of
 * probing, so the check cannot give up before the file is there, however soon the
 * deploy starts probing (a create is one round trip now: probing starts within a second).
 */
const lateInputs = (image: string) =>
  inputs(image, {
    healthcheck: {
      http: { port: 8080, path: "/health/ready" },
      interval: 1,
      timeout: 1,
      retries: 8,
    },
  });

const version = async (port = PORT) => (await httpGet(`http://127.0.0.1:${port}/version`)).trim();

const readyAfter = (ms: number) => writeLater(READY, "ok\n", ms);

beforeAll(() => {
  removeContainers(NAME, `${NAME}-previous`, "hc-tcp", "hc-cmd", "hcsvc-web", "hcsvc-api");
  rmSync(healthDir, { recursive: true, force: true });
  mkdirSync(healthDir, { recursive: true });
});

afterAll(async () => {
  removeContainers(NAME, `${NAME}-previous`, "hc-tcp", "hc-cmd", "hcsvc-web", "hcsvc-api");
  await closeAllConnections();
});

describe("a Component's health check over real SSH and podman", () => {
  let id = "";
  let state: Record<string, unknown> = {};

  it("a create whose endpoint answers only after a few seconds waits for it and succeeds", async () => {
    const written = readyAfter(4_000);
    const result = await create(lateInputs(nodes.images.v1));
    const doneAt = Date.now();
    id = result.id;
    state = result.outs;
    // The check wants 200 on /health/ready, which is 404 until the file exists.
    expect(doneAt).toBeGreaterThanOrEqual(await written);
    expect(state).toMatchObject({ containerName: NAME, version: "v1.0.0", state: "running" });
    expect(state.healthcheck).toEqual({
      http: { port: 8080, path: "/health/ready", status: 200 },
      interval: 1,
      timeout: 1,
      retries: 8,
      startPeriod: 0,
    });
  });

  it("an update that runs but never serves is rolled back with the probe answers and its log; v1 serves", async () => {
    const error = await failureOf(
      update(id, state, inputs(nodes.images.v2, { env: NEVER_SERVES })),
    );
    expect(error.message).toContain(
      `updating component ${NAME} on root@127.0.0.1:${nodes.node.port}`,
    );
    expect(error.message).toContain(`rolled back to ${nodes.images.v1}`);
    expect(error.message).toContain(`${NAME} failed its health check 3 time(s) in a row`);
    expect(error.message).toContain(
      `last health check answers (GET http://127.0.0.1:${PORT}/health/ready):`,
    );
    expect(error.message).toMatch(/after \d+\.\ds: failed: cannot connect: .*refused/i);
    expect(error.message).toContain("--- last 50 lines of its log ---");
    expect(error.message).toContain("mcp-test-web v2.0.0 listening on :18999");
    expect(await version()).toBe("v1.0.0");
    expect(containerNames()).not.toContain(`${NAME}-previous`);
  });

  it("an update whose endpoint comes up late (a migration) waits and succeeds", async () => {
    rmSync(READY, { force: true });
    const written = readyAfter(4_000);
    state = await update(id, state, lateInputs(nodes.images.v2));
    expect(Date.now()).toBeGreaterThanOrEqual(await written);
    expect(state).toMatchObject({ version: "v2.0.0", state: "running" });
    expect(await version()).toBe("v2.0.0");
  });

  it("refresh reports state unhealthy while the check fails, and running again once it passes", async () => {
    rmSync(READY, { force: true });
    const sick = await provider.read(id, state);
    expect(sick.props).toMatchObject({
      containerName: NAME,
      state: "unhealthy",
      version: "v2.0.0",
    });
    writeFileSync(READY, "ok\n");
    const well = await provider.read(id, state);
    expect(well.props).toMatchObject({ state: "running" });
  });

  it("changing only the health check touches nothing on the node", async () => {
    const startedAt = state.startedAt;
    state = await update(
      id,
      state,
      inputs(nodes.images.v2, { healthcheck: { tcp: { port: 8080 }, retries: 5 } }),
    );
    expect(state.startedAt).toBe(startedAt);
    expect(state.healthcheck).toMatchObject({ tcp: { port: 8080 }, retries: 5 });
  });
});

describe("tcp and cmd checks", () => {
  it("tcp: a create that never listens on the checked port fails, naming the probe; nothing is left", async () => {
    const error = await failureOf(
      create(
        inputs(nodes.images.v1, {
          name: "tcp",
          ports: ["127.0.0.1:18972:8080"],
          volumes: [],
          env: NEVER_SERVES,
          healthcheck: { tcp: { port: 8080 }, interval: 1, retries: 2 },
        }),
      ),
    );
    expect(error.message).toContain("hc-tcp failed its health check 2 time(s) in a row");
    expect(error.message).toContain("(tcp 127.0.0.1:18972)");
    expect(error.message).toMatch(/cannot connect: .*refused/i);
    expect(containerNames()).not.toContain("hc-tcp");
  });

  it("cmd runs inside the container with its argv byte for byte; a failing one is rolled back with its words", async () => {
    const hostile = `a b; touch /tmp/hc-pwned $(id) 'q' "d"`;
    const cmdInputs = (script: string) =>
      inputs(nodes.images.v1, {
        name: "cmd",
        ports: ["127.0.0.1:18973:8080"],
        volumes: [],
        healthcheck: { cmd: ["sh", "-c", script, "sh", hostile], interval: 1, retries: 2 },
      });
    // Passes only when the argument arrives exactly as given.
    const { id: cmdId, outs } = await create(
      cmdInputs(`test "$1" = 'a b; touch /tmp/hc-pwned $(id) '"'q'"' "d"'`),
    );
    expect(outs).toMatchObject({ containerName: "hc-cmd", state: "running" });
    const error = await failureOf(
      update(cmdId, outs, {
        ...cmdInputs(`echo "not ready: $1" >&2; exit 3`),
        image: nodes.images.v2,
      }),
    );
    expect(error.message).toContain("rolled back to");
    expect(error.message).toContain(`failed: exit 3: not ready: ${hostile}`);
    expect(existsSync("/tmp/hc-pwned")).toBe(false);
    expect(await version(18973)).toBe("v1.0.0");
  });
});

describe("adopting a running container with a health check", () => {
  const adoptInputs = (path: string) =>
    inputs(nodes.images.v1, {
      name: "adopt",
      ports: ["127.0.0.1:18978:8080"],
      volumes: [],
      env: { MODE: "hand-made" },
      cmd: ["--flag", "value with spaces"],
      adopt: true,
      minUptime: 0,
      healthcheck: { http: { port: 8080, path }, interval: 1, retries: 2 },
    });

  afterAll(() => removeContainers("hc-adopt"));

  it("is refused while the check fails, leaving it running untouched; taken over once it passes", async () => {
    removeContainers("hc-adopt");
    expect(runHandMade("hc-adopt", 18978, nodes.images.v1).exitCode).toBe(0);
    await httpGet("http://127.0.0.1:18978/version");
    const before = podman("inspect", "--format", "{{.State.StartedAt}}", "hc-adopt").stdout;
    const error = await failureOf(create(adoptInputs("/not-there")));
    expect(error.message).toContain("hc-adopt failed its health check 2 time(s) in a row");
    expect(error.message).toContain("failed: HTTP/1.1 404 Not Found (expected 200)");
    const taken = await create(adoptInputs("/version"));
    expect(taken.outs).toMatchObject({ containerName: "hc-adopt", state: "running" });
    expect(podman("inspect", "--format", "{{.State.StartedAt}}", "hc-adopt").stdout).toBe(before);
  });
});

describe("a Service component's health check", () => {
  const serviceInputs = (web: { image: string; env?: Record<string, string> }) => ({
    ...sshNodeInputs(nodes),
    name: "hcsvc",
    components: [
      {
        name: "web",
        image: web.image,
        ports: ["127.0.0.1:18974:8080"],
        volumes: [`${healthDir}:/www/health`],
        stopTimeout: 1,
        minUptime: 0,
        startTimeout: 40,
        // 5 failures in a row take at least 4 s: more than the 2 s the create's endpoint needs.
        healthcheck: { http: { port: 8080, path: "/health/ready" }, interval: 1, retries: 5 },
      },
      {
        name: "api",
        image: nodes.images.v1,
        ports: ["127.0.0.1:18975:8080"],
        stopTimeout: 1,
        minUptime: 0,
        healthcheck: { tcp: { port: 8080 } },
      },
    ],
    componentEnv: [web.env ?? {}, {}],
  });

  it("waits for it at create, rolls back a component that never serves, and refresh shows unhealthy", async () => {
    rmSync(READY, { force: true });
    const written = readyAfter(2_000);
    const created = await serviceProvider.create(
      await checkedService(serviceInputs({ image: nodes.images.v1 })),
    );
    expect(Date.now()).toBeGreaterThanOrEqual(await written);
    const olds = created.outs as Record<string, unknown>;
    expect(olds.status).toMatchObject({ web: { state: "running" }, api: { state: "running" } });

    const error = await failureOf(
      serviceProvider.update(
        created.id,
        olds,
        await checkedService(serviceInputs({ image: nodes.images.v2, env: NEVER_SERVES })),
      ),
    );
    expect(error.message).toContain("service hcsvc: component web: update of hcsvc-web");
    expect(error.message).toContain("rolled back to");
    expect(error.message).toContain("hcsvc-web failed its health check 5 time(s) in a row");
    expect(await version(18974)).toBe("v1.0.0");
    expect(await version(18975)).toBe("v1.0.0");

    rmSync(READY, { force: true });
    const read = await serviceProvider.read(created.id, olds);
    expect(read.props?.status).toMatchObject({
      web: { state: "unhealthy" },
      api: { state: "running" },
    });

    // The next up, with unchanged inputs, sees the drift and recreates only web.
    const refreshed = read.props as Record<string, unknown>;
    const same = await checkedService(serviceInputs({ image: nodes.images.v1 }));
    expect((await serviceProvider.diff(created.id, refreshed, same)).changes).toBe(true);
    const apiStarted = podman("inspect", "--format", "{{.State.StartedAt}}", "hcsvc-api").stdout;
    const webStarted = podman("inspect", "--format", "{{.State.StartedAt}}", "hcsvc-web").stdout;
    writeFileSync(READY, "ok\n");
    const healed = await serviceProvider.update(created.id, refreshed, same);
    expect(healed.outs?.status).toMatchObject({
      web: { state: "running" },
      api: { state: "running" },
    });
    expect(podman("inspect", "--format", "{{.State.StartedAt}}", "hcsvc-web").stdout).not.toBe(
      webStarted,
    );
    expect(podman("inspect", "--format", "{{.State.StartedAt}}", "hcsvc-api").stdout).toBe(
      apiStarted,
    );
  });
});

describe("rootless: a published port whose container does not listen", () => {
  const rl = (nodes as RootlessNodes).rootless;
  const name = "hcrl-web";

  afterAll(() => {
    podmanAs(rl, "rm", "--force", "--time", "0", name);
  });

  it("is accepted and closed by rootlessport: the tcp check sees through it and fails", async () => {
    const base = sshNodeInputs(nodes);
    const error = await failureOf(
      create({
        ...base,
        node: { ...base.node, user: rl.user },
        service: "hcrl",
        name: "web",
        image: nodes.images.v1,
        ports: ["127.0.0.1:18976:8080"],
        env: NEVER_SERVES,
        stopTimeout: 1,
        minUptime: 0,
        startTimeout: 60,
        healthcheck: { tcp: { port: 8080 }, interval: 1, retries: 3 },
      }),
    );
    expect(error.message).toContain(`on ${rl.user}@127.0.0.1:${nodes.node.port}`);
    expect(error.message).toContain("hcrl-web failed its health check 3 time(s) in a row");
    expect(error.message).toContain("connected, then closed by the peer without a byte");
  });
});
