import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { checked, create, provider, update } from "./provider-calls";
import {
  httpGet,
  loadTestNodes,
  podman,
  removeContainers,
  runHandMade,
  sshNodeInputs,
} from "./test-nodes";

// Adoption through `create` with adopt: true, over the real sshd and podman. (The engine's
// import calls Read with the id alone and never reaches a dynamic provider: pulumi/pulumi#3550.)
const nodes = loadTestNodes();
const PORT = 18457;
const NAME = "adopt-web";

function inputs(extra: Record<string, unknown> = {}) {
  return {
    ...sshNodeInputs(nodes),
    service: "adopt",
    name: "web",
    image: nodes.images.v1,
    ports: [`127.0.0.1:${PORT}:8080`],
    cmd: ["--flag", "value with spaces"],
    env: { MODE: "hand-made" },
    stopTimeout: 1,
    minUptime: 1,
    startTimeout: 20,
    ...extra,
  };
}

/** What identifies this very container run: its id and when it started. */
const identity = () =>
  podman(
    "container",
    "inspect",
    "--format",
    "{{.Id}} {{.State.StartedAt}} {{.State.Status}}",
    NAME,
  ).stdout.trim();

let handMade = "";

beforeAll(() => {
  removeContainers(NAME, `${NAME}-previous`);
  // Deployed by hand (or by MCP's agent): no labels of ours, no `--` before the image.
  const run = runHandMade(NAME, PORT, nodes.images.v1);
  expect(run.exitCode, run.stderr).toBe(0);
  handMade = identity();
  expect(handMade).toMatch(/ running$/);
});

afterAll(async () => {
  removeContainers(NAME, `${NAME}-previous`);
  await closeAllConnections();
});

describe("adopting a container started by hand with podman (adopt: true)", () => {
  it("without adopt → create fails naming the container and pointing to adopt: true; it keeps running", async () => {
    const error = await failureOf(create(inputs()));
    expect(error.message).toContain(`a container named ${NAME} already exists`);
    expect(error.message).toContain("set adopt: true");
    expect(identity()).toBe(handMade);
  });

  it("adopt with inputs that differ → refused naming each field and the node; left running untouched", async () => {
    const error = await failureOf(
      create(inputs({ adopt: true, image: nodes.images.v2, env: { MODE: "other" } })),
    );
    expect(error.message).toContain(`cannot adopt ${NAME} on root@127.0.0.1:${nodes.node.port}`);
    expect(error.message).toContain(
      `image: the inputs say "${nodes.images.v2}", it runs with "${nodes.images.v1}"`,
    );
    expect(error.message).toContain("env.MODE: another value runs (values not shown)");
    expect(error.message).not.toContain("hand-made");
    expect(identity()).toBe(handMade);
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v1.0.0");
  });

  it("adopt with matching inputs → taken over without a restart: same container id and StartedAt", async () => {
    const { id, outs } = await create(inputs({ adopt: true }));
    expect(id).toBe(`127.0.0.1:${nodes.node.port}/${NAME}`);
    expect(outs).toMatchObject({
      containerName: NAME,
      version: "v1.0.0",
      state: "running",
      adopt: true,
    });
    expect(identity()).toBe(handMade);
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v1.0.0");

    // From now on it is an ordinary component: no diff for the same inputs, an update replaces it.
    expect((await provider.diff(id, outs, await checked(inputs()))).changes).toBe(false);
    const updated = await update(id, outs, inputs({ image: nodes.images.v2 }));
    expect(updated).toMatchObject({ version: "v2.0.0", state: "running" });
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v2.0.0");
    await provider.delete(id, updated);
    expect(podman("container", "exists", NAME).exitCode).not.toBe(0);
  });
});
