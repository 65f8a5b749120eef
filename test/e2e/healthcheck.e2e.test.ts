// End to end through the REAL Pulumi CLI (test/cli): a Component with a health check
// (test/e2e/programs/healthcheck) on the loopback sshd and podman. up waits for the check; an
// update to a version that runs but never serves fails and is rolled back, and the CLI shows why
// (the probe answers and the log tail); refresh records the unhealthy state as drift, which the
// next preview shows and up repairs (recreates it); destroy.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, type CliStack, opsByName } from "../cli/pulumi-cli";
import { httpGet, loadTestNodes, testNodeConfig } from "../integration/test-nodes";
import { leftOver, prepareExampleStack, removeContainers, startedAt } from "./example-stack";

const nodes = loadTestNodes();
const NAME = "e2ehc-web";
const HEALTH_DIR = path.join(nodes.stateDir, "volumes", "e2e-healthcheck");
const READY = path.join(HEALTH_DIR, "ready");
const version = async () => (await httpGet("http://127.0.0.1:18979/version")).trim();

/** Everything the CLI said, the diagnostics included. */
function said(run: CliRun): string {
  return `${run.stdout}\n${run.stderr}\n${run.error ?? ""}`;
}

let stack: CliStack;

beforeAll(() => {
  removeContainers([NAME]);
  rmSync(HEALTH_DIR, { recursive: true, force: true });
  mkdirSync(HEALTH_DIR, { recursive: true });
  writeFileSync(READY, "ok\n");
  stack = prepareExampleStack({
    example: "test/e2e/programs/healthcheck",
    name: "e2e-healthcheck",
    stack: "e2e",
    config: { ...testNodeConfig(nodes), image: nodes.images.v1, healthDir: HEALTH_DIR },
    timeoutMs: 300_000,
  });
}, 400_000);

afterAll(() => removeContainers([NAME]));

describe("a Component's health check through the real pulumi CLI", { timeout: 400_000 }, () => {
  it("up waits for the check and creates it", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(run.outputs).toMatchObject({
      state: { value: "running" },
      version: { value: "v1.0.0" },
    });
  });

  it("up of a version that runs but never serves fails, rolled back, the CLI showing why", async () => {
    stack.setConfig("image", nodes.images.v2);
    stack.setConfig("servePort", "18999");
    const run = await stack.run("up");
    expect(run.ok).toBe(false);
    const text = said(run);
    expect(text).toContain(
      `update of ${NAME} to ${nodes.images.v2} failed; rolled back to ${nodes.images.v1}`,
    );
    expect(text).toContain(
      `${NAME} failed its health check 3 time(s) in a row (every 1s, after a 0s start period)`,
    );
    expect(text).toContain("last health check answers (GET http://127.0.0.1:18979/health/ready):");
    expect(text).toMatch(/after \d+\.\ds: failed: cannot connect: .*refused/i);
    expect(text).toContain("--- last 50 lines of its log ---");
    expect(text).toContain("mcp-test-web v2.0.0 listening on :18999");
    expect(await version()).toBe("v1.0.0");
    expect(leftOver([NAME])).toEqual([NAME]);
  });

  it("refresh records a failing check as state unhealthy and shows it as drift", async () => {
    stack.setConfig("image", nodes.images.v1);
    stack.setConfig("servePort", "");
    rmSync(READY, { force: true });
    const run = await stack.run("refresh", { diff: true });
    expect(run.ok).toBe(true);
    // The engine diffs the refreshed state against the inputs (provider Diff): drift is an update.
    expect(run.stdout).toMatch(
      new RegExp(`~ +pulumi-nodejs:dynamic/mcp:Component ${NAME} updated`),
    );
    expect(run.stdout).toMatch(/~ 1 updated/);
    const resource = stack.exportState().resources?.find((r) => r.urn.endsWith(`::${NAME}`));
    expect(resource?.outputs?.state).toBe("unhealthy");
  });

  it("preview shows the unhealthy component as an update; up recreates it and it is healthy again", async () => {
    const preview = await stack.run("preview");
    expect(opsByName(preview)[NAME]).toBe("update");
    writeFileSync(READY, "ok\n");
    const before = startedAt([NAME]);
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    expect(up.outputs).toMatchObject({ state: { value: "running" }, version: { value: "v1.0.0" } });
    expect(startedAt([NAME])).not.toEqual(before);
    expect((await stack.run("preview", { expectNoChanges: true })).ok).toBe(true);
  });

  it("destroy removes it", async () => {
    expect((await stack.run("destroy")).ok).toBe(true);
    expect(leftOver([NAME])).toEqual([]);
  });
});
