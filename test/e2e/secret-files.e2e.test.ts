// End to end through the TEST ENGINE (test/engine — not the Pulumi CLI; see its README for what it
// does not cover): a program with secretFiles on a Component and a Service component, its content
// from PLAIN config. State holds the content only encrypted, a preview of a new content shows the
// change masked, and destroy leaves no container and no podman secret.

import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { formatPreview, prepareProgram, type RunSummary, runPulumi } from "../engine";
import type { ConfigValue, Operation } from "../engine/types";
import { containerNames, loadTestNodes, podman } from "../integration/test-nodes";

const nodes = loadTestNodes();
const TOKEN = "sfe2e-token-content-3a9f";
const NEXT = "sfe2e-next-token-content-c21d";
const CONTAINERS = ["sfe2e-web", "sfe2esvc-api"];

let programDir = "";
let stateFile = "";
let project = "";

function removeAll(): void {
  for (const name of CONTAINERS) {
    for (const container of [name, `${name}-previous`])
      podman("rm", "--force", "--time", "0", container);
  }
}

async function run(operation: Operation, token: string): Promise<RunSummary> {
  const config: Record<string, ConfigValue> = {
    host: nodes.node.host,
    port: nodes.node.port,
    user: nodes.node.user,
    hostKey: nodes.node.hostKeyFingerprint,
    sshKey: { secret: readFileSync(nodes.node.privateKeyPath, "utf8") },
    image: nodes.images.v1,
    token,
  };
  const summary = await runPulumi({
    programDir,
    project,
    stack: "e2e",
    config,
    stateFile,
    operation,
    timeoutMs: 120_000,
  });
  onTestFailed(() => {
    console.error(`${formatPreview(summary)}\nprogram stderr:\n${summary.stderr}`);
  });
  return summary;
}

function readInside(container: string): string {
  return podman("exec", container, "cat", "/run/secrets/token").stdout;
}

function expectNotInClear(text: string, ...contents: string[]): void {
  for (const content of contents) {
    expect(text).not.toContain(content);
    expect(text).not.toContain(Buffer.from(content).toString("base64"));
  }
}

beforeAll(() => {
  removeAll();
  const program = prepareProgram({
    example: path.join(__dirname, "secret-files-program"),
    name: "e2e-secret-files",
  });
  programDir = program.dir;
  project = program.project;
  stateFile = path.join(programDir, ".pulumi-test-engine", "e2e.json");
  rmSync(stateFile, { force: true });
});

afterAll(() => {
  removeAll();
});

describe("secretFiles through the engine", () => {
  it("up: the file is inside both containers; state holds the content only encrypted", async () => {
    await run("up", TOKEN);
    for (const container of CONTAINERS) expect(readInside(container)).toBe(TOKEN);
    const state = readFileSync(stateFile, "utf8");
    expectNotInClear(state, TOKEN);
    expect(state).toContain("ciphertext");
  });

  it("preview of a new content shows secretFiles changed, masked, and touches nothing", async () => {
    const before = readFileSync(stateFile, "utf8");
    const summary = await run("preview", NEXT);
    const web = summary.resources.find((step) => step.name === "sfe2e-web");
    expect(web?.op).toBe("update");
    // This engine marks a whole input secret when anything in it is (the CLI recurses into
    // maps and would name the file): here the change shows as secretFiles, masked.
    expect(web?.changes.find((c) => c.name === "secretFiles")).toMatchObject({ secret: true });
    const service = summary.resources.find((step) => step.name === "sfe2esvc");
    expect(service?.op).toBe("update");
    expect(service?.changes.find((c) => c.name === "componentSecretFiles")).toMatchObject({
      secret: true,
    });
    const shown = `${formatPreview(summary)}${JSON.stringify(summary)}`;
    expectNotInClear(shown, TOKEN, NEXT);
    expect(readFileSync(stateFile, "utf8")).toBe(before);
    for (const container of CONTAINERS) expect(readInside(container)).toBe(TOKEN);
  });

  it("up with the new content recreates both; state still has no content in clear", async () => {
    await run("up", NEXT);
    for (const container of CONTAINERS) expect(readInside(container)).toBe(NEXT);
    expectNotInClear(readFileSync(stateFile, "utf8"), TOKEN, NEXT);
  });

  it("destroy leaves no container and no podman secret of theirs", async () => {
    await run("destroy", NEXT);
    for (const container of CONTAINERS) expect(containerNames()).not.toContain(container);
    const secrets = podman("secret", "ls", "--format", "{{.Name}}").stdout;
    expect(secrets).not.toMatch(/^sfe2e/m);
  });
});
