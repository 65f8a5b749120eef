import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { checked, provider } from "./provider-calls";
import { httpGet, loadTestNodes, podman, removeContainers, sshNodeInputs } from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18451;
const NAME = "imported-web";
const ID = `127.0.0.1:${nodes.node.port}/${NAME}`;

function inputs(extra: Record<string, unknown> = {}) {
  return {
    ...sshNodeInputs(nodes),
    service: "imported",
    name: "web",
    image: nodes.images.v1,
    ports: [`127.0.0.1:${PORT}:8080`],
    cmd: ["--flag", "value with spaces"],
    env: { MODE: "hand-made" },
    ...extra,
  };
}

const startedAt = () =>
  podman("container", "inspect", "--format", "{{.State.StartedAt}}", NAME).stdout.trim();

beforeAll(() => {
  removeContainers(NAME);
  // Deployed by hand (or by MCP's agent): no labels of ours, no `--` before the image.
  const run = podman(
    "run",
    "-d",
    "--name",
    NAME,
    "-p",
    `127.0.0.1:${PORT}:8080`,
    "--restart",
    "unless-stopped",
    "-e",
    "MODE=hand-made",
    nodes.images.v1,
    "--flag",
    "value with spaces",
  );
  expect(run.exitCode, run.stderr).toBe(0);
});

afterAll(async () => {
  removeContainers(NAME);
  await closeAllConnections();
});

describe("adopting a container that already runs (import)", () => {
  it("matching inputs → adopted as is, no diff, not restarted", async () => {
    const before = startedAt();
    const read = await provider.read(ID, { ...inputs(), __provider: "x" });
    expect(read.id).toBe(ID);
    expect(read.props).toMatchObject({ containerName: NAME, version: "v1.0.0", state: "running" });
    expect(read.inputs).toMatchObject({
      image: nodes.images.v1,
      cmd: ["--flag", "value with spaces"],
      env: { MODE: "hand-made" },
    });
    const diff = await provider.diff(
      ID,
      read.props as Record<string, unknown>,
      await checked(inputs()),
    );
    expect(diff.changes).toBe(false);
    expect(startedAt()).toBe(before);
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v1.0.0");
  });

  it("inputs that differ from what runs → the diff shows it", async () => {
    const read = await provider.read(ID, inputs({ image: nodes.images.v2 }));
    expect(read.inputs).toMatchObject({ image: nodes.images.v1 });
    const diff = await provider.diff(
      ID,
      read.props as Record<string, unknown>,
      await checked(inputs({ image: nodes.images.v2 })),
    );
    expect(diff.changes).toBe(true);
  });

  it("an id that does not match the inputs, or no such container → a clear error", async () => {
    expect((await failureOf(provider.read("127.0.0.1/other", inputs()))).message).toContain(
      "the inputs describe",
    );
    const missing = inputs({ service: "nosuch" });
    const error = await failureOf(
      provider.read(`127.0.0.1:${nodes.node.port}/nosuch-web`, missing),
    );
    expect(error.message).toContain("no container nosuch-web");
  });
});
