// Faults injected for real: a dead and a silent node, a registry that is down, a version that
// exits at once, a host port already taken, and sshd killed in the middle of an update.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { checked, create, provider, update } from "./provider-calls";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18471;
const TAKEN_PORT = 18472;
const NAME = "faults-web";
const version = async () => (await httpGet(`http://127.0.0.1:${PORT}/version`)).trim();

function inputs(
  image: string,
  extra: Record<string, unknown> = {},
  node: Record<string, unknown> = {},
) {
  return {
    ...sshNodeInputs(nodes, node),
    service: "faults",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    stopTimeout: 1,
    minUptime: 1,
    startTimeout: 15,
    ...extra,
  };
}

const ours = () => containerNames().filter((name) => name.startsWith(NAME));
let state: { id: string; outs: Record<string, unknown> };

/** A TCP port that accepts connections and never says a word: a hung host. */
let silent: Server;
const silentSockets: Socket[] = [];
let silentPort = 0;

beforeAll(async () => {
  removeContainers(NAME, `${NAME}-previous`, "faults-taken");
  silent = createServer((socket) => silentSockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  silentPort = typeof address === "object" && address ? address.port : 0;
  state = await create(inputs(nodes.images.v1));
});

afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  silent.close();
  removeContainers(NAME, `${NAME}-previous`, "faults-taken");
  await closeAllConnections();
});

describe("unreachable nodes fail within the configured timeout, after bounded retries", () => {
  const dead = { port: 1, connectTimeoutMs: 1_000, connectRetries: 1 };
  const hung = () => ({ port: silentPort, connectTimeoutMs: 1_000, connectRetries: 1 });

  it.each([
    ["refused", () => dead, /ECONNREFUSED.*after 2 attempts/],
    ["silent", hung, /Timed out while waiting for handshake.*after 2 attempts/],
  ])(
    "%s: create, update, read and delete each fail fast with a clear error",
    async (_kind, node, pattern) => {
      const target = inputs(nodes.images.v1, {}, node());
      const outs = {
        ...(await checked(target)),
        containerName: NAME,
        version: "v1.0.0",
        state: "running",
        imageId: "",
        startedAt: "",
      };
      const attempts: [string, () => Promise<unknown>][] = [
        ["create", () => provider.create(outs)],
        ["update", () => provider.update(state.id, outs, { ...outs, image: nodes.images.v2 })],
        ["read", () => provider.read(state.id, outs)],
        ["delete", () => provider.delete(state.id, outs)],
      ];
      for (const [operation, attempt] of attempts) {
        const started = Date.now();
        const error = await failureOf(attempt());
        expect(error.message, operation).toMatch(pattern);
        expect(error.message, operation).toContain("127.0.0.1:");
        expect(Date.now() - started, operation).toBeLessThan(6_000);
      }
      expect(await version()).toBe("v1.0.0");
    },
  );
});

describe("failed deploys leave what runs untouched", () => {
  it("image pull fails because the registry is down → error, the running version untouched", async () => {
    const error = await failureOf(
      update(state.id, state.outs, inputs("127.0.0.1:1/mcp-test/web:v2.0.0")),
    );
    expect(error.message).toContain("podman pull 127.0.0.1:1/mcp-test/web:v2.0.0");
    expect(await version()).toBe("v1.0.0");
    expect(ours()).toEqual([NAME]);
  });

  it("a version that exits at once (bad configuration) → rolled back, error with its log tail", async () => {
    const error = await failureOf(
      update(state.id, state.outs, inputs(nodes.images.v2, { env: { PORT: "99999" } })),
    );
    expect(error.message).toContain("rolled back");
    expect(error.message).toMatch(/exited with code|crashed/);
    expect(error.message).toContain("last 50 lines of its log");
    expect(await version()).toBe("v1.0.0");
    expect(ours()).toEqual([NAME]);
  });

  it("a host port already taken on the node → error naming the port, nothing half-created", async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(TAKEN_PORT, "127.0.0.1", resolve));
    try {
      const error = await failureOf(
        create(
          inputs(nodes.images.v1, {
            service: "faults",
            name: "taken",
            ports: [`127.0.0.1:${TAKEN_PORT}:8080`],
          }),
        ),
      );
      expect(error.message).toContain(String(TAKEN_PORT));
      expect(error.message).toMatch(/address already in use/);
      expect(containerNames()).not.toContain("faults-taken");
    } finally {
      squatter.close();
    }
  });
});

describe("sshd killed in the middle of an update", () => {
  const sshdPid = () => Number(readFileSync(`${nodes.stateDir}/ssh/sshd.pid`, "utf8").trim());

  /** Kills our test sshd and every session it forked: the node drops off the network mid-command. */
  function killSshd(): void {
    const pid = sshdPid();
    const children = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .stdout.split("\n")
      .filter(Boolean);
    for (const child of children) process.kill(Number(child), "SIGKILL");
    process.kill(pid, "SIGKILL");
  }

  it("→ a clear error; the old version was never removed before the new one ran; the next up converges", async () => {
    const next = inputs(nodes.images.v2);
    const updating = update(state.id, state.outs, next);
    // Let it get past the pull into stop/rename/run, then cut the node off.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    killSshd();
    const error = await failureOf(updating);
    expect(error.message).toMatch(/connection|lost|closed|ECONNRESET|Not connected|No response/i);
    // Nothing was removed: the old container is there, as itself or set aside.
    const left = ours();
    expect(left.length).toBeGreaterThan(0);
    expect(left.some((name) => name === NAME || name === `${NAME}-previous`)).toBe(true);

    execFileSync("bash", ["test/fixtures/nodes.sh", "up"], {
      cwd: `${__dirname}/../..`,
      stdio: "ignore",
    });
    await closeAllConnections();
    const outs = await update(state.id, state.outs, next);
    expect(outs).toMatchObject({ version: "v2.0.0", state: "running" });
    expect(await version()).toBe("v2.0.0");
    expect(ours()).toEqual([NAME]);
    state = { ...state, outs };
  });
});
