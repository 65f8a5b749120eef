import { describe, expect, it } from "vitest";
import { diffComponent, planChange } from "../../provider/diff/component-diff";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { validInputs } from "./fixtures";

function spec(overrides: Record<string, unknown> = {}): ComponentSpec {
  const outcome = checkComponent(validInputs({ ports: ["127.0.0.1:8443:8443"], ...overrides }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

const node = (extra: Record<string, unknown>) => ({
  host: "rift.example.net",
  hostKey: `SHA256:${"A".repeat(43)}`,
  bootPersistence: false,
  ...extra,
});

describe("diffComponent follows DESIGN.md's diff rules", () => {
  it("nothing changed → no change", () => {
    expect(diffComponent(spec(), spec())).toMatchObject({ changes: false, replaces: [] });
  });

  it("state written before maxSessions and secretFiles existed → no change once normalised (no diff on upgrade)", () => {
    const { maxSessions: _maxSessions, ...olderNode } = spec().node;
    const older = { ...spec(), node: olderNode } as ComponentSpec;
    delete older.secretFiles;
    expect("secretFiles" in spec()).toBe(false); // absent stays absent after check
    // The provider's diff reads old state through check (specFrom), which fills today's defaults.
    const normalised = checkComponent(older);
    if (!normalised.ok) throw new Error(JSON.stringify(normalised.failures));
    expect(diffComponent(normalised.spec, spec())).toMatchObject({ changes: false, changed: [] });
  });

  it("a different maxSessions (how to reach the node) → an update of state only", () => {
    const diff = diffComponent(spec(), spec({ node: node({ maxSessions: 20 }) }));
    expect(diff).toMatchObject({ changes: true, replaces: [], changed: ["node"] });
    expect(planChange(diff)).toBe("state-only");
  });

  it("a new image tag or digest → update in place", () => {
    const diff = diffComponent(spec(), spec({ image: "mcr.example.net:8443/mcq:v0.5.0" }));
    expect(diff).toMatchObject({ changes: true, replaces: [], changed: ["image"] });
    expect(planChange(diff)).toBe("recreate");
  });

  it.each([
    ["ports", { ports: ["127.0.0.1:9443:8443"] }],
    ["volumes", { volumes: ["/srv/mcq:/srv/mcq"] }],
    ["env", { env: { LOG_LEVEL: "debug" } }],
    ["cmd", { cmd: ["server"] }],
    ["user", { user: "0:0" }],
    ["restart", { restart: "always" }],
    ["network", { network: "mcpnet" }],
    ["memoryMb", { memoryMb: 256 }],
    ["vcpus", { vcpus: 2 }],
    ["accel", { runtime: "unikernel", accel: "tcg" }, { runtime: "unikernel" }],
    ["binary", { runtime: "unikernel", binary: "/bin/server" }, { runtime: "unikernel" }],
  ])("%s → update in place", (field, override, base: Record<string, unknown> = {}) => {
    expect(diffComponent(spec(base), spec(override))).toMatchObject({
      changes: true,
      replaces: [],
      changed: [field],
    });
  });

  it("order of ports, volumes or env keys → no change", () => {
    const a = spec({
      ports: ["1000:1000", "2000:2000"],
      volumes: ["/a:/a", "/b:/b"],
      env: { A: "1", B: "2" },
    });
    const b = spec({
      ports: ["2000:2000", "1000:1000"],
      volumes: ["/b:/b", "/a:/a"],
      env: { B: "2", A: "1" },
    });
    expect(diffComponent(a, b).changes).toBe(false);
  });

  it("runtime → replace, deleting first", () => {
    expect(diffComponent(spec(), { ...spec(), runtime: "unikernel" })).toMatchObject({
      changes: true,
      replaces: ["runtime"],
      deleteBeforeReplace: true,
    });
  });

  it("service or name → replace; delete first only when host ports overlap", () => {
    expect(diffComponent(spec(), spec({ name: "api2" }))).toMatchObject({
      replaces: ["name"],
      deleteBeforeReplace: true,
    });
    expect(
      diffComponent(spec(), spec({ service: "mcq2", ports: ["127.0.0.1:9999:8443"] })),
    ).toMatchObject({
      replaces: ["service"],
      deleteBeforeReplace: false,
    });
  });

  it("node host or port → replace, creating first", () => {
    expect(
      diffComponent(spec(), spec({ node: node({ host: "other.example.net" }) })),
    ).toMatchObject({
      replaces: ["node"],
      deleteBeforeReplace: false,
    });
    expect(diffComponent(spec(), spec({ node: node({ port: 2222 }) }))).toMatchObject({
      replaces: ["node"],
      deleteBeforeReplace: false,
    });
  });

  it("credentials, host key pinning and connection timeouts only → an update of state only", () => {
    const rotated = spec({
      credentials: { agent: "/run/ssh-agent.sock" },
      node: node({
        hostKey: `SHA256:${"B".repeat(43)}`,
        connectTimeoutMs: 2000,
        connectRetries: 5,
      }),
    });
    const diff = diffComponent(spec(), rotated);
    expect(diff).toMatchObject({ changes: true, replaces: [], changed: ["node", "credentials"] });
    expect(planChange(diff)).toBe("state-only");
  });

  it.each([
    [
      "privateKey",
      { credentials: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nrotated\n" } },
    ],
    [
      "passphrase",
      {
        credentials: {
          privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material\n",
          passphrase: "pw",
        },
      },
    ],
    ["agent", { credentials: { agent: "/run/agent.sock" } }],
    ["hostKey", { node: node({ hostKey: `SHA256:${"B".repeat(43)}` }) }],
    ["knownHosts", { node: node({ knownHosts: "rift.example.net ssh-ed25519 AAAA" }) }],
    ["insecureIgnoreHostKey", { node: node({ insecureIgnoreHostKey: true }) }],
    ["connectTimeoutMs", { node: node({ connectTimeoutMs: 1234 }) }],
    ["commandTimeoutMs", { node: node({ commandTimeoutMs: 12345 }) }],
    ["connectRetries", { node: node({ connectRetries: 7 }) }],
    ["lockTimeoutMs", { node: node({ lockTimeoutMs: 1000 }) }],
    ["maxSessions", { node: node({ maxSessions: 4 }) }],
    [
      "proxyJump",
      {
        node: node({ proxyJump: { host: "jump.example.net", insecureIgnoreHostKey: true } }),
        credentials: { privateKey: "k", proxyJump: { agent: "/a" } },
      },
    ],
  ])("only %s changed → update of state only, no replace", (_field, override) => {
    const diff = diffComponent(spec(), spec(override));
    expect(diff.changes).toBe(true);
    expect(diff.replaces).toEqual([]);
    expect(planChange(diff)).toBe("state-only");
  });

  it("deploy settings only → a change that needs no recreate", () => {
    const diff = diffComponent(spec(), spec({ startTimeout: 5, minUptime: 0 }));
    expect(diff.changes).toBe(true);
    expect(planChange(diff)).toBe("state-only");
  });

  it("ignores computed outputs in the old state", () => {
    const state = {
      ...spec(),
      containerName: "mcq-api",
      version: "v0.4.0",
      state: "running",
      imageId: "x",
      startedAt: "t",
    };
    expect(diffComponent(state, spec()).changes).toBe(false);
  });
});
