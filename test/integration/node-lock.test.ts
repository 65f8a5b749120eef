// Two runs changing one node at once are serialised by the per-node lock: each run is its own
// dynamic-provider process (test/harness), as two `pulumi up` in two terminals would be.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import {
  type DynamicProviderClient,
  dynamicResourceUrn,
  startDynamicProvider,
} from "../harness/dynamic-provider-process";
import { COMPONENT_PROVIDER_MODULE, createInstalledProgram } from "../harness/installed-program";
import type { ProgramDir } from "../harness/program-dir";
import { serializeProviderInProcess } from "../harness/serialize-provider";
import { failureOf } from "./failure-of";
import { create, provider } from "./provider-calls";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18461;
const NAME = "locked-web";
const urn = dynamicResourceUrn("locked-web", "dev", "lock");

let program: ProgramDir;
const runs: DynamicProviderClient[] = [];

function inputs(image: string, node: Record<string, unknown> = {}) {
  return {
    ...sshNodeInputs(nodes, node),
    service: "locked",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    stopTimeout: 1,
    minUptime: 1,
  };
}

beforeAll(async () => {
  removeContainers(NAME, `${NAME}-previous`);
  program = await createInstalledProgram();
  const serialised = await serializeProviderInProcess({
    cwd: program.dir,
    modulePath: COMPONENT_PROVIDER_MODULE,
  });
  for (let i = 0; i < 2; i += 1)
    runs.push(await startDynamicProvider({ cwd: program.dir, provider: serialised }));
});

afterAll(async () => {
  await Promise.all(runs.map((run) => run.close()));
  await program?.remove();
  removeContainers(NAME, `${NAME}-previous`);
  await closeAllConnections();
});

/** Another run's hold on the node lock (flock on the same file), as a run elsewhere would hold it. */
async function foreignHolder(owner: string): Promise<ChildProcess> {
  const lockFile = `${process.env.HOME}/.pulumi-mcp/node.lock`;
  const holder = spawn(
    "flock",
    [
      lockFile,
      "sh",
      "-c",
      'printf "%s\\n" "$2" > "$1.owner"; echo held; exec sleep 120',
      "sh",
      lockFile,
      owner,
    ],
    // Its own process group, so the whole holder (flock and its child) can be killed.
    { stdio: ["ignore", "pipe", "inherit"], detached: true },
  );
  await new Promise<void>((resolve) => holder.stdout?.once("data", () => resolve()));
  return holder;
}

async function release(holder: ChildProcess | undefined): Promise<void> {
  if (!holder?.pid || holder.exitCode !== null || holder.signalCode !== null) return;
  const exited = new Promise((resolve) => holder.once("exit", resolve));
  process.kill(-holder.pid, "SIGKILL");
  await exited;
}

describe("the per-node lock", () => {
  it("serialises two runs updating the same container at the same time: both succeed", async () => {
    const [first, second] = runs;
    if (!first || !second) throw new Error("runs did not start");
    const checked = await first.check(urn, {}, inputs(nodes.images.v1));
    const created = await first.create(urn, checked.inputs);
    const toV2 = await first.check(urn, created.properties, inputs(nodes.images.v2));
    // Both runs start from the same state, as two stacks or terminals would.
    const [a, b] = await Promise.all([
      first.update(urn, created.id, created.properties, toV2.inputs),
      second.update(urn, created.id, created.properties, toV2.inputs),
    ]);
    expect(a.properties).toMatchObject({ version: "v2.0.0", state: "running" });
    expect(b.properties).toMatchObject({ version: "v2.0.0", state: "running" });
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v2.0.0");
    expect(containerNames().filter((name) => name.startsWith(NAME))).toEqual([NAME]);
    await first.delete(urn, created.id, b.properties);
  });

  it("a lock held too long → a clear error naming the holder; freed the moment the holder dies", async () => {
    let holder: ChildProcess | undefined;
    try {
      holder = await foreignHolder("ci-runner-7 pid 4242");
      const started = Date.now();
      const error = await failureOf(create(inputs(nodes.images.v1, { lockTimeoutMs: 2_000 })));
      expect(error.message).toContain("held by ci-runner-7 pid 4242");
      expect(error.message).toContain("gave up after waiting 2s");
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(containerNames()).not.toContain(NAME);
    } finally {
      await release(holder);
    }
    const { id, outs } = await create(inputs(nodes.images.v1, { lockTimeoutMs: 5_000 }));
    expect(outs).toMatchObject({ state: "running" });
    await provider.delete(id, outs);
  });

  it("a wait for another run's lock longer than the connection's idle close (20 s) still gets the lock", async () => {
    const node = { lockTimeoutMs: 60_000 };
    // A first change arms the pooled connection's idle timer once its channels are done.
    const first = await create(inputs(nodes.images.v1, node));
    await provider.delete(first.id, first.outs);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // our own lock's linger ends
    let holder: ChildProcess | undefined;
    try {
      holder = await foreignHolder("a long deploy elsewhere");
      const waiting = create(inputs(nodes.images.v1, node));
      waiting.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      await new Promise((resolve) => setTimeout(resolve, 22_000));
      await release(holder);
      const { id, outs } = await waiting;
      expect(outs).toMatchObject({ state: "running" });
      await provider.delete(id, outs);
    } finally {
      await release(holder);
    }
  }, 60_000);
});
