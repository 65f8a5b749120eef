import { describe, expect, it } from "vitest";
import { specHash } from "../../provider/diff/spec-hash";
import { createWorkload } from "../../provider/runtime/deploy";
import type { LiveWorkload } from "../../provider/runtime/types";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { FakeRuntime } from "./fakes/fake-runtime";
import { validInputs } from "./fixtures";

function spec(overrides: Record<string, unknown> = {}): ComponentSpec {
  const outcome = checkComponent(
    validInputs({
      ports: ["127.0.0.1:8443:8443"],
      cmd: ["--flag", "value with spaces"],
      env: { MODE: "hand-made" },
      minUptime: 0,
      ...overrides,
    }),
  );
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

/** A container started by hand: what podman inspect shows of it, no labels of ours. */
function handMade(node: FakeRuntime, changes: Partial<LiveWorkload> = {}): LiveWorkload {
  const live: LiveWorkload = {
    name: "mcq-api",
    runtime: "container",
    image: "mcr.example.net:8443/mcq:v0.4.0",
    version: "v0.4.0",
    imageDigest: "",
    imageId: "sha256:hand",
    state: "running",
    running: true,
    exitCode: 0,
    restartCount: 0,
    startedAt: "2026-12-01T10:00:00Z",
    restart: "unless-stopped",
    ports: ["127.0.0.1:8443:8443/tcp"],
    volumes: [],
    cmd: ["--flag", "value with spaces"],
    env: { MODE: "hand-made", PATH: "/bin" },
    labels: {},
    ...changes,
  };
  node.workloads.set(live.name, live);
  return live;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("expected a failure");
}

describe("create with adopt: taking over a workload that already runs", () => {
  it("matching inputs → taken over as it runs: not restarted, nothing run or stopped", async () => {
    const node = new FakeRuntime();
    const before = handMade(node);
    const live = await createWorkload(node, spec({ adopt: true }));
    expect(live).toEqual(before);
    expect(node.calls).toEqual(["pull mcr.example.net:8443/mcq:v0.4.0", "inspect mcq-api"]);
  });

  it("a stopped match is started, not recreated", async () => {
    const node = new FakeRuntime();
    handMade(node, { running: false, state: "exited" });
    await createWorkload(node, spec({ adopt: true })).catch(() => undefined);
    expect(node.calls).toContain("start mcq-api");
    expect(node.calls.some((call) => call.startsWith("run"))).toBe(false);
  });

  it("a mismatch is refused, naming the node, the workload and each field; nothing is touched", async () => {
    const node = new FakeRuntime();
    handMade(node, {
      image: "mcr.example.net:8443/mcq:v0.3.9",
      ports: ["0.0.0.0:8443:8443/tcp"],
      env: { MODE: "secret-other-value" },
    });
    const message = await failure(createWorkload(node, spec({ adopt: true })));
    expect(message).toContain("cannot adopt mcq-api on fake-node");
    expect(message).toContain(
      'image: the inputs say "mcr.example.net:8443/mcq:v0.4.0", it runs with "mcr.example.net:8443/mcq:v0.3.9"',
    );
    expect(message).toContain("ports:");
    expect(message).toContain("env.MODE: another value runs (values not shown)");
    expect(message).not.toContain("secret-other-value");
    expect(message).not.toContain("hand-made");
    expect(node.calls).toEqual(["pull mcr.example.net:8443/mcq:v0.4.0", "inspect mcq-api"]);
  });

  it("secretFiles cannot be verified on a container without our label → refused, saying so", async () => {
    const node = new FakeRuntime();
    handMade(node);
    const message = await failure(
      createWorkload(node, spec({ adopt: true, secretFiles: { token: "t" } })),
    );
    expect(message).toContain("secretFiles:");
    expect(message).toContain("adopt it without secretFiles, then add them");
  });

  it("made by pulumi-mcp from other inputs (spec-hash differs in what inspect does not show) → refused", async () => {
    const node = new FakeRuntime();
    handMade(node, { labels: { "io.pulumi-mcp.spec-hash": specHash(spec({ memoryMb: 64 })) } });
    const message = await failure(createWorkload(node, spec({ adopt: true })));
    expect(message).toContain("spec-hash label differs");
  });

  it("without adopt: a workload of that name is an error that names it and points to adopt: true", async () => {
    const node = new FakeRuntime();
    handMade(node);
    const message = await failure(createWorkload(node, spec()));
    expect(message).toContain("a container named mcq-api already exists on fake-node");
    expect(message).toContain("set adopt: true");
    expect(node.calls).toEqual(["pull mcr.example.net:8443/mcq:v0.4.0", "inspect mcq-api"]);
  });

  it("without adopt: one made from exactly these inputs (an interrupted create) is still taken over", async () => {
    const node = new FakeRuntime();
    const before = handMade(node, { labels: { "io.pulumi-mcp.spec-hash": specHash(spec()) } });
    const live = await createWorkload(node, spec());
    expect(live.startedAt).toBe(before.startedAt);
    expect(node.calls.some((call) => call.startsWith("run"))).toBe(false);
  });
});
