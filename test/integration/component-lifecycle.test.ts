import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allCounters, closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { checked, create, provider, update } from "./provider-calls";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  podman,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18411;
const URL = `http://127.0.0.1:${PORT}`;
const NAME = "lifecycle-web";
const volumeDir = `${nodes.stateDir}/volumes/lifecycle`;

function inputs(image: string, extra: Record<string, unknown> = {}) {
  return {
    ...sshNodeInputs(nodes),
    service: "lifecycle",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    volumes: [`${volumeDir}:/srv/data`],
    env: { LOG_LEVEL: "info" },
    stopTimeout: 1,
    minUptime: 1,
    startTimeout: 20,
    ...extra,
  };
}

function handshakes(): number {
  let total = 0;
  for (const counters of allCounters().values()) total += counters.handshakes;
  return total;
}

describe("Component over real SSH and podman: the lifecycle", () => {
  let id = "";
  let state: Record<string, unknown> = {};

  beforeAll(() => {
    removeContainers(NAME, `${NAME}-previous`);
    rmSync(volumeDir, { recursive: true, force: true });
    mkdirSync(volumeDir, { recursive: true });
    writeFileSync(`${volumeDir}/keep.txt`, "data that must survive\n");
  });

  afterAll(async () => {
    removeContainers(NAME, `${NAME}-previous`);
    await closeAllConnections();
  });

  it("create → container running, HTTP through the published port answers from v1", async () => {
    const result = await create(inputs(nodes.images.v1));
    id = result.id;
    state = result.outs;
    expect(id).toBe(`127.0.0.1:${nodes.node.port}/${NAME}`);
    expect(state).toMatchObject({ containerName: NAME, version: "v1.0.0", state: "running" });
    expect((await httpGet(`${URL}/version`)).trim()).toBe("v1.0.0");
  });

  it("an identical second run changes nothing and opens no SSH connection", async () => {
    await closeAllConnections();
    const before = handshakes();
    const news = await checked(
      inputs(nodes.images.v1, { env: { LOG_LEVEL: "info" }, restart: "unless-stopped" }),
    );
    const diff = await provider.diff(id, state, news);
    expect(diff.changes).toBe(false);
    expect(diff.replaces ?? []).toEqual([]);
    expect(handshakes()).toBe(before);
  });

  it("update to a tag that does not exist → error, v1 still serving", async () => {
    await expect(update(id, state, inputs(nodes.images.missing))).rejects.toThrow(
      /v9\.9\.9-does-not-exist/,
    );
    expect((await httpGet(`${URL}/version`)).trim()).toBe("v1.0.0");
    expect(containerNames()).toContain(NAME);
  });

  it("tag bump → update in place, HTTP answers from v2, the old container is gone", async () => {
    const news = await checked(inputs(nodes.images.v2));
    const diff = await provider.diff(id, state, news);
    expect(diff).toMatchObject({ changes: true });
    expect(diff.replaces ?? []).toEqual([]);
    state = await update(id, state, inputs(nodes.images.v2));
    expect(state).toMatchObject({ version: "v2.0.0", state: "running" });
    expect((await httpGet(`${URL}/version`)).trim()).toBe("v2.0.0");
    const names = containerNames();
    expect(names.filter((name) => name.startsWith(NAME))).toEqual([NAME]);
  });

  it("update to a version that crashes at start → rolled back with its log tail, v2 still serving", async () => {
    const { message } = await failureOf(update(id, state, inputs(nodes.images.crash)));
    expect(message).toContain("rolled back");
    expect(message).toContain("crashing on purpose");
    expect((await httpGet(`${URL}/version`)).trim()).toBe("v2.0.0");
    expect(containerNames().filter((name) => name.startsWith(NAME))).toEqual([NAME]);
  });

  it("read reports what runs", async () => {
    const read = await provider.read(id, state);
    expect(read.id).toBe(id);
    expect(read.props).toMatchObject({
      image: nodes.images.v2,
      version: "v2.0.0",
      state: "running",
      ports: [`127.0.0.1:${PORT}:8080/tcp`],
      volumes: [`${volumeDir}:/srv/data`],
      env: { LOG_LEVEL: "info" },
    });
    // What read reports diffs clean against the same inputs: no perpetual diff.
    const diff = await provider.diff(
      id,
      read.props as Record<string, unknown>,
      await checked(inputs(nodes.images.v2)),
    );
    expect(diff.changes).toBe(false);
  });

  it("another version run by hand under the same name → read reports it, and it shows as a diff", async () => {
    removeContainers(NAME);
    const byHand = podman(
      "run",
      "-d",
      "--name",
      NAME,
      "-p",
      `127.0.0.1:${PORT}:8080`,
      nodes.images.v1,
    );
    expect(byHand.exitCode, byHand.stderr).toBe(0);
    const read = await provider.read(id, state);
    expect(read.props).toMatchObject({ image: nodes.images.v1, version: "v1.0.0" });
    const diff = await provider.diff(
      id,
      read.props as Record<string, unknown>,
      await checked(inputs(nodes.images.v2)),
    );
    expect(diff.changes).toBe(true);
  });

  it("container removed out of band → read reports it gone", async () => {
    expect(podman("rm", "--force", "--time", "0", NAME).exitCode).toBe(0);
    const read = await provider.read(id, state);
    expect(read.id ?? "").toBe("");
  });

  it("a volume's missing host directory is created (MCP's /srv/<service>), and kept on delete", async () => {
    const fresh = `${volumeDir}-new/data`;
    rmSync(`${volumeDir}-new`, { recursive: true, force: true });
    const created = await create({
      ...inputs(nodes.images.v1, { volumes: [`${fresh}:/srv/data`] }),
      name: "vol",
    });
    expect(existsSync(fresh)).toBe(true);
    await provider.delete(created.id, created.outs);
    expect(existsSync(fresh)).toBe(true);
    rmSync(`${volumeDir}-new`, { recursive: true, force: true });
  });

  it("create again after it vanished, then delete → container gone, volume directory and files intact", async () => {
    const result = await create(inputs(nodes.images.v2));
    state = result.outs;
    expect((await httpGet(`${URL}/version`)).trim()).toBe("v2.0.0");
    await provider.delete(id, state);
    expect(containerNames()).not.toContain(NAME);
    expect(existsSync(volumeDir)).toBe(true);
    expect(readFileSync(`${volumeDir}/keep.txt`, "utf8")).toBe("data that must survive\n");
    // Deleting what is already gone is not an error.
    await provider.delete(id, state);
  });
});
