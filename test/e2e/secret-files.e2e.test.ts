// End to end through the TEST ENGINE (test/engine — not the Pulumi CLI; see its README for what it
// does not cover): a program with secretFiles on a Component and a Service component, its content
// from PLAIN config. State holds the content only encrypted, a preview of a new content shows the
// change masked, and destroy leaves no container and no podman secret.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPreview, type RunSummary } from "../engine";
import type { Operation } from "../engine/types";
import { containerNames, loadTestNodes, podman, testNodeConfig } from "../integration/test-nodes";
import { type ExampleStack, prepareExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const TOKEN = "sfe2e-token-content-3a9f";
const NEXT = "sfe2e-next-token-content-c21d";
const CONTAINERS = ["sfe2e-web", "sfe2esvc-api"];

let stack: ExampleStack;

async function run(operation: Operation, token: string): Promise<RunSummary> {
  return (await stack.run(operation, { token })).summary;
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
  removeContainers(CONTAINERS);
  stack = prepareExampleStack({
    example: path.join(__dirname, "secret-files-program"),
    name: "e2e-secret-files",
    stack: "e2e",
    config: () => ({ ...testNodeConfig(nodes), image: nodes.images.v1 }),
    timeoutMs: 120_000,
  });
});

afterAll(() => {
  removeContainers(CONTAINERS);
});

describe("secretFiles through the engine", () => {
  it("up: the file is inside both containers; state holds the content only encrypted", async () => {
    await run("up", TOKEN);
    for (const container of CONTAINERS) expect(readInside(container)).toBe(TOKEN);
    const state = readFileSync(stack.stateFile, "utf8");
    expectNotInClear(state, TOKEN);
    expect(state).toContain("ciphertext");
  });

  it("preview of a new content shows secretFiles changed, masked, and touches nothing", async () => {
    const before = readFileSync(stack.stateFile, "utf8");
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
    expect(readFileSync(stack.stateFile, "utf8")).toBe(before);
    for (const container of CONTAINERS) expect(readInside(container)).toBe(TOKEN);
  });

  it("up with the new content recreates both; state still has no content in clear", async () => {
    await run("up", NEXT);
    for (const container of CONTAINERS) expect(readInside(container)).toBe(NEXT);
    expectNotInClear(readFileSync(stack.stateFile, "utf8"), TOKEN, NEXT);
  });

  it("destroy leaves no container and no podman secret of theirs", async () => {
    await run("destroy", NEXT);
    for (const container of CONTAINERS) expect(containerNames()).not.toContain(container);
    const secrets = podman("secret", "ls", "--format", "{{.Name}}").stdout;
    expect(secrets).not.toMatch(/^sfe2e/m);
  });
});
