import { describe, expect, it } from "vitest";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { validInputs } from "./fixtures";

function specOf(input: Record<string, unknown>): ComponentSpec {
  const outcome = checkComponent(input);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

function failuresOf(input: Record<string, unknown>) {
  const outcome = checkComponent(input);
  if (outcome.ok) throw new Error("expected check to fail");
  return outcome.failures;
}

describe("checkComponent: defaults and normalisation", () => {
  it("fills defaults so an omitted default equals an explicit one", () => {
    const node = { host: "rift.example.net", hostKey: `SHA256:${"A".repeat(43)}` };
    const implicit = specOf(validInputs({ node }));
    const explicit = specOf(
      validInputs({
        node: { ...node, port: 22, user: "mcp", sudo: false, bootPersistence: true },
        runtime: "container",
        restart: "unless-stopped",
        ports: [],
        volumes: [],
        env: {},
        cmd: [],
        stopTimeout: 10,
      }),
    );
    expect(explicit).toEqual(implicit);
    expect(implicit.node.port).toBe(22);
    expect(implicit.restart).toBe("unless-stopped");
  });

  it("makes the order of ports, volumes and env keys irrelevant", () => {
    const a = specOf(
      validInputs({
        ports: ["9000:9000", "127.0.0.1:8443:8443"],
        volumes: ["/b:/b", "/a:/a"],
        env: { B: "2", A: "1" },
      }),
    );
    const b = specOf(
      validInputs({
        ports: ["127.0.0.1:8443:8443/tcp", "9000:9000"],
        volumes: ["/a:/a:rw", "/b:/b"],
        env: { A: "1", B: "2" },
      }),
    );
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe("checkComponent: failures name the field and the value", () => {
  it.each([
    [{ image: "mcq" }, "image", '"mcq"', "no tag"],
    [{ image: "mcq:latest" }, "image", '"mcq:latest"', ":latest"],
    [{ image: "not a ref!" }, "image", '"not a ref!"', "not an image reference"],
    [{ ports: ["8443"] }, "ports[0]", '"8443"', "host port is required"],
    [{ ports: ["1:99999"] }, "ports[0]", '"1:99999"', "outside 1-65535"],
    [{ ports: ["8080:80", "8080:81"] }, "ports[1]", '"8080:81"', "published twice"],
    [{ volumes: ["srv:/srv"] }, "volumes[0]", '"srv:/srv"', "absolute"],
    [{ env: { "BAD-KEY": "x" } }, "env", '"BAD-KEY"', "env key"],
    [{ service: "-mcq" }, "service", '"-mcq"', "letter or digit"],
    [{ name: "a b" }, "name", '"a b"', "letter or digit"],
    [{ restart: "sometimes" }, "restart", '"sometimes"', ""],
    [{ cmd: ["ok", "bad\0arg"] }, "cmd[1]", "", "NUL"],
  ])("%j → %s", (override, property, shown, reason) => {
    const failures = failuresOf(validInputs(override));
    const failure = failures.find((f) => f.property === property);
    expect(failure, JSON.stringify(failures)).toBeDefined();
    expect(failure?.reason).toContain(property);
    expect(failure?.reason).toContain(shown);
    expect(failure?.reason).toContain(reason);
  });

  it("refuses a remote node without auth or host key, and names the node", () => {
    const failures = failuresOf(
      validInputs({ node: { host: "rift.example.net" }, credentials: undefined }),
    );
    expect(failures.map((f) => f.property).sort()).toEqual(["node", "node.hostKey"]);
    expect(failures[0]?.reason).toContain("mcp@rift.example.net:22");
  });

  it("accepts a local node without auth", () => {
    expect(
      checkComponent(
        validInputs({ node: { host: "localhost", local: true }, credentials: undefined }),
      ).ok,
    ).toBe(true);
  });

  it("refuses unknown fields (typos) by name", () => {
    const failures = failuresOf(validInputs({ imgae: "x:v1" }));
    expect(failures[0]?.reason).toContain("imgae");
  });

  it("never shows secret values: env values and credentials are redacted", () => {
    const secret = "hunter2-very-secret";
    const failures = [
      ...failuresOf(validInputs({ env: { TOKEN: `${secret}\0` } })),
      ...failuresOf(validInputs({ credentials: { privateKey: 42, passphrase: secret } })),
      ...failuresOf(validInputs({ env: { TOKEN: secret.repeat(10_000) } })),
    ];
    expect(failures.length).toBeGreaterThanOrEqual(3);
    for (const failure of failures) expect(failure.reason).not.toContain(secret);
    expect(failures.some((f) => f.reason.includes("[secret]"))).toBe(true);
  });

  it("refuses oversized inputs with a clear error", () => {
    const ports = Array.from({ length: 3000 }, (_, i) => `${10000 + i}:80`);
    expect(failuresOf(validInputs({ ports }))[0]?.property).toBe("ports");
    expect(failuresOf(validInputs({ env: { BIG: "x".repeat(1024 * 1024) } }))[0]?.reason).toContain(
      "bytes",
    );
  });
});
