// The provider process killed in the middle of a create: the next `up` adopts the container it
// left (it matches the spec) rather than failing on "name already in use".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DynamicProviderClient,
  dynamicResourceUrn,
  startDynamicProvider,
} from "../harness/dynamic-provider-process";
import { COMPONENT_PROVIDER_MODULE, createInstalledProgram } from "../harness/installed-program";
import type { ProgramDir } from "../harness/program-dir";
import { serializeProviderInProcess } from "../harness/serialize-provider";
import { failureOf } from "./failure-of";
import { httpGet, loadTestNodes, podman, removeContainers, sshNodeInputs } from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18481;
const NAME = "interrupted-web";
const urn = dynamicResourceUrn("interrupted-web", "dev", "interrupted");

let program: ProgramDir;
let serialised = "";
const runs: DynamicProviderClient[] = [];

const inputs = (image: string) => ({
  ...sshNodeInputs(nodes),
  service: "interrupted",
  name: "web",
  image,
  ports: [`127.0.0.1:${PORT}:8080`],
  stopTimeout: 1,
  minUptime: 8, // a long wait after `podman run`: the window to kill the provider in
});

function liveState(): { status: string; startedAt: string } | undefined {
  const result = podman(
    "container",
    "inspect",
    "--format",
    "{{.State.Status}} {{.State.StartedAt}}",
    NAME,
  );
  if (result.exitCode !== 0) return undefined;
  const [status = "", ...rest] = result.stdout.trim().split(" ");
  return { status, startedAt: rest.join(" ") };
}

beforeAll(async () => {
  removeContainers(NAME);
  program = await createInstalledProgram();
  serialised = await serializeProviderInProcess({
    cwd: program.dir,
    modulePath: COMPONENT_PROVIDER_MODULE,
  });
});

afterAll(async () => {
  await Promise.all(runs.map((run) => run.close()));
  await program?.remove();
  removeContainers(NAME);
});

describe("provider process killed in the middle of a create", () => {
  it("the next create adopts the running container instead of failing, without restarting it", async () => {
    const first = await startDynamicProvider({ cwd: program.dir, provider: serialised });
    runs.push(first);
    const checked = await first.check(urn, {}, inputs(nodes.images.v1));
    const creating = failureOf(first.create(urn, checked.inputs));
    const deadline = Date.now() + 30_000;
    while (liveState()?.status !== "running" && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const before = liveState();
    expect(before?.status).toBe("running");
    await first.close(); // the engine's provider process dies mid-create
    expect((await creating).message).toBeTruthy();

    const second = await startDynamicProvider({ cwd: program.dir, provider: serialised });
    runs.push(second);
    const created = await second.create(urn, checked.inputs);
    expect(created.properties).toMatchObject({
      containerName: NAME,
      version: "v1.0.0",
      state: "running",
    });
    expect(liveState()?.startedAt).toBe(before?.startedAt);
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v1.0.0");
    await second.delete(urn, created.id, created.properties);
  });

  it("a container of that name not made from this spec is never taken over", async () => {
    const run = podman("run", "-d", "--name", NAME, nodes.images.v2);
    expect(run.exitCode, run.stderr).toBe(0);
    const client = runs[1];
    if (!client) throw new Error("no provider process");
    const checked = await client.check(urn, {}, inputs(nodes.images.v1));
    const error = await failureOf(client.create(urn, checked.inputs));
    expect(error.message).toContain(`a container named ${NAME} already exists`);
    expect(liveState()?.status).toBe("running");
  });
});
