// secretFiles over real SSH and podman: each file readable at /run/secrets/<name> inside the
// container, its content nowhere in `podman inspect`, `ps` or errors, and no podman secret left
// behind by create, update, rollback or delete.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretName } from "../../provider/commands/podman-secrets";
import { closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { checked, create, provider, update } from "./provider-calls";
import { checkedService, serviceProvider } from "./service-calls";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  podman,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18561;
const SERVICE_PORT = 18562;
const NAME = "sf-web";
const SERVICE_NAMES = ["sfsvc-api", "sfsvc-web"];
const FIRST = "sf-first-content-4b1d\nwith a second line\n";
const SECOND = "sf-second-content-8e2a 'quoted' $(id)";
const THIRD = "sf-third-content-never-runs-77c0";
const CONFIG = '{"password":"sf-config-content-51aa"}';
const PS_LOG = `${nodes.stateDir}/ps-during-secret-files.log`;

function inputs(image: string, secretFiles: Record<string, string>, extra = {}) {
  return {
    ...sshNodeInputs(nodes),
    service: "sf",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    env: { MODE: "secret-files" },
    secretFiles,
    user: "1000:1000",
    stopTimeout: 1,
    minUptime: 1,
    startTimeout: 20,
    ...extra,
  };
}

/** Every podman secret on the node, by name. */
function secretNames(): string[] {
  const listed = podman("secret", "ls", "--format", "{{.Name}}");
  expect(listed.exitCode, listed.stderr).toBe(0);
  return listed.stdout.split("\n").filter(Boolean).sort();
}

/** Secrets made for one of this file's containers (`<container>.<nonce>.<n>`). */
function ourSecrets(): string[] {
  return secretNames().filter((name) => /^sf(svc)?-[a-z]+\./.test(name));
}

function readInside(container: string, file: string): string {
  const result = podman("exec", container, "cat", `/run/secrets/${file}`);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

function inspectText(container: string): string {
  const result = podman("container", "inspect", container);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

/** A content, and its base64 (how it travels on stdin), are nowhere in `text`. */
function expectAbsent(text: string, ...contents: string[]): void {
  for (const content of contents) {
    expect(text).not.toContain(content);
    expect(text).not.toContain(Buffer.from(content).toString("base64"));
  }
}

/** Samples the node's full process list (this machine) as fast as it can, into a file. */
function sampleProcessList(): ChildProcess {
  return spawn("bash", ["-c", `while :; do ps -eo args >> "${PS_LOG}"; done`], {
    stdio: "ignore",
    detached: true,
  });
}

function cleanUp(): void {
  removeContainers(NAME, `${NAME}-previous`);
  for (const name of SERVICE_NAMES) removeContainers(name, `${name}-previous`);
  for (const secret of ourSecrets()) podman("secret", "rm", secret);
}

let secretsBefore: string[] = [];

beforeAll(() => {
  cleanUp();
  rmSync(PS_LOG, { force: true });
  secretsBefore = secretNames();
});
afterAll(async () => {
  cleanUp();
  await closeAllConnections();
});

describe("secretFiles on a Component", () => {
  let id = "";
  let state: Record<string, unknown> = {};

  it("a component without secretFiles creates no podman secret", async () => {
    const plain = {
      ...inputs(nodes.images.v1, {}),
      service: "sfplain",
      ports: [`127.0.0.1:${PORT}:8080`],
    };
    delete (plain as { secretFiles?: unknown }).secretFiles;
    const created = await create(plain);
    try {
      expect(secretNames()).toEqual(secretsBefore);
      expect(inspectText("sfplain-web")).not.toContain("io.pulumi-mcp.secret-files");
    } finally {
      await provider.delete(created.id, created.outs);
    }
    expect(containerNames()).not.toContain("sfplain-web");
    expect(secretNames()).toEqual(secretsBefore);
  });

  it("create → each file readable inside the container, contents in no inspect, ps or secret store", async () => {
    const sampler = sampleProcessList();
    try {
      const created = await create(
        inputs(nodes.images.v1, { TOKEN: FIRST, "config.json": CONFIG }),
      );
      id = created.id;
      state = created.outs;
    } finally {
      if (sampler.pid) process.kill(-sampler.pid, "SIGKILL");
    }
    expect(state).toMatchObject({ containerName: NAME, state: "running", version: "v1.0.0" });
    expect(readInside(NAME, "TOKEN")).toBe(FIRST);
    expect(readInside(NAME, "config.json")).toBe(CONFIG);
    // The container runs as 1000:1000: the file is readable to it, and not writable.
    expect(podman("exec", NAME, "id", "-u").stdout.trim()).toBe("1000");
    expect(podman("exec", NAME, "stat", "-c", "%a %u %g", "/run/secrets/TOKEN").stdout.trim()).toBe(
      "444 0 0",
    );
    expect(podman("exec", NAME, "sh", "-c", "echo x > /run/secrets/TOKEN").exitCode).not.toBe(0);

    const inspected = inspectText(NAME);
    expect(inspected).toContain("io.pulumi-mcp.secret-files"); // the file names are there…
    expectAbsent(inspected, FIRST, CONFIG); // …never their contents
    expectAbsent(podman("ps", "--all", "--no-trunc").stdout, FIRST, CONFIG);
    // podman copied each secret into the container at create: none stays in its secret store.
    expect(ourSecrets()).toEqual([]);

    const seen = readFileSync(PS_LOG, "utf8");
    expect(seen).toContain("podman secret create"); // the sampler saw the secrets being made…
    expectAbsent(seen, FIRST, CONFIG); // …and never a content
  });

  it("an identical spec diffs clean; refresh keeps the contents the container's label lists", async () => {
    const news = await checked(inputs(nodes.images.v1, { "config.json": CONFIG, TOKEN: FIRST }));
    expect((await provider.diff(id, state, news)).changes).toBe(false);
    const read = await provider.read(id, state);
    expect(read.props?.secretFiles).toEqual({ "config.json": CONFIG, TOKEN: FIRST });
    expect((await provider.diff(id, read.props ?? {}, news)).changes).toBe(false);
  });

  it("a content change → update in place: the new content inside, old container and secrets gone", async () => {
    const news = await checked(inputs(nodes.images.v1, { TOKEN: SECOND, "config.json": CONFIG }));
    const diff = await provider.diff(id, state, news);
    expect(diff.changes).toBe(true);
    expect(diff.replaces ?? []).toEqual([]);
    const sampler = sampleProcessList();
    try {
      state = await update(
        id,
        state,
        inputs(nodes.images.v1, { TOKEN: SECOND, "config.json": CONFIG }),
      );
    } finally {
      if (sampler.pid) process.kill(-sampler.pid, "SIGKILL");
    }
    expect(readInside(NAME, "TOKEN")).toBe(SECOND);
    expect(readInside(NAME, "config.json")).toBe(CONFIG);
    expect(containerNames().filter((name) => name.startsWith(NAME))).toEqual([NAME]);
    expect(ourSecrets()).toEqual([]);
    expectAbsent(inspectText(NAME), FIRST, SECOND, CONFIG);
    expectAbsent(readFileSync(PS_LOG, "utf8"), FIRST, SECOND, CONFIG);
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v1.0.0");
  });

  it("a failed update (crashing image) rolls back: the old container still reads the old content, no secret left", async () => {
    const error = await failureOf(
      update(id, state, inputs(nodes.images.crash, { TOKEN: THIRD, "config.json": CONFIG })),
    );
    expect(error.message).toContain("rolled back");
    expectAbsent(error.message, SECOND, THIRD, CONFIG);
    expect(containerNames().filter((name) => name.startsWith(NAME))).toEqual([NAME]);
    expect(readInside(NAME, "TOKEN")).toBe(SECOND);
    expect(ourSecrets()).toEqual([]);
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v1.0.0");
  });

  it("a dropped file → recreated without it; refresh of a container whose files differ shows drift", async () => {
    const fewer = await update(id, state, inputs(nodes.images.v1, { TOKEN: SECOND }));
    expect(podman("exec", NAME, "test", "-e", "/run/secrets/config.json").exitCode).not.toBe(0);
    expect(readInside(NAME, "TOKEN")).toBe(SECOND);
    // The state claims a file the container does not have: refresh drops it, so `up` would add it.
    const read = await provider.read(id, { ...fewer, secretFiles: { TOKEN: SECOND, extra: "x" } });
    expect(read.props?.secretFiles).toEqual({ TOKEN: SECOND });
    state = fewer;
  });

  it("delete → the container is gone, and so is any secret an interrupted run left for it", async () => {
    // What a run killed between creating its secrets and removing them would leave behind,
    // next to a secret of another container whose name starts the same way.
    const leftover = secretName(NAME, "ffffffffffff", 0);
    const neighbour = secretName(`${NAME}2`, "ffffffffffff", 0);
    for (const secret of [leftover, neighbour]) {
      const made = makeSecret(secret, "leftover");
      expect(made.exitCode, made.stderr).toBe(0);
    }
    try {
      await provider.delete(id, state);
      expect(containerNames().filter((name) => name.startsWith(NAME))).toEqual([]);
      expect(secretNames()).not.toContain(leftover);
      expect(secretNames()).toContain(neighbour);
    } finally {
      podman("secret", "rm", neighbour);
    }
    expect(secretNames()).toEqual(secretsBefore);
  });
});

describe("secretFiles on a Service component", () => {
  function serviceInputs(token: string) {
    return {
      ...sshNodeInputs(nodes),
      name: "sfsvc",
      components: [
        {
          name: "api",
          image: nodes.images.v1,
          ports: [`127.0.0.1:${SERVICE_PORT}:8080`],
          stopTimeout: 1,
          minUptime: 1,
        },
        { name: "web", image: nodes.images.v1, stopTimeout: 1, minUptime: 1 },
      ],
      componentEnv: [{}, {}],
      componentSecretFiles: [{ TOKEN: token }, {}],
    };
  }

  it("create, update of the content, delete: file inside, secret nowhere else, nothing left", async () => {
    const created = await serviceProvider.create(await checkedService(serviceInputs(FIRST)));
    const outs = created.outs as Record<string, unknown>;
    expect(readInside("sfsvc-api", "TOKEN")).toBe(FIRST);
    expect(podman("exec", "sfsvc-web", "ls", "/run/secrets").stdout.trim()).toBe("");
    expect(JSON.stringify(outs.components)).not.toContain("sf-first-content");
    expect(outs.componentSecretFiles).toEqual({ api: { TOKEN: FIRST } });
    expectAbsent(inspectText("sfsvc-api"), FIRST);
    expect(ourSecrets()).toEqual([]);

    const news = await checkedService(serviceInputs(SECOND));
    const diff = await serviceProvider.diff(created.id, outs, news);
    expect(diff.changes).toBe(true);
    const webStarted = podman(
      "container",
      "inspect",
      "--format",
      "{{.State.StartedAt}}",
      "sfsvc-web",
    );
    const updated = (await serviceProvider.update(created.id, outs, news)).outs as Record<
      string,
      unknown
    >;
    expect(readInside("sfsvc-api", "TOKEN")).toBe(SECOND);
    expect(
      podman("container", "inspect", "--format", "{{.State.StartedAt}}", "sfsvc-web").stdout,
    ).toBe(webStarted.stdout); // the component without a change was left alone
    expect(ourSecrets()).toEqual([]);

    const read = await serviceProvider.read(created.id, updated);
    expect(read.props?.componentSecretFiles).toEqual({ api: { TOKEN: SECOND } });

    await serviceProvider.delete(created.id, updated);
    expect(containerNames().filter((name) => name.startsWith("sfsvc-"))).toEqual([]);
    expect(secretNames()).toEqual(secretsBefore);
  });
});

/** Makes a podman secret by hand. podman wants a pipe on stdin, and node's child stdin is a socket. */
function makeSecret(name: string, content: string) {
  const result = spawnSync(
    "sh",
    ["-c", 'printf %s "$1" | podman secret create "$2" -', "sh", content, name],
    {
      encoding: "utf8",
      env: process.env,
    },
  );
  return { exitCode: result.status ?? -1, stderr: result.stderr };
}
