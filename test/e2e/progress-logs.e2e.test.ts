// End to end through the REAL Pulumi CLI (test/cli): examples/service (three components),
// pulumi-mcp installed from `npm pack`, on the loopback sshd:
// up → the CLI's output and its engine events carry each component's progress lines →
// `pulumi-mcp logs` (the installed bin script) reads the stack the CLI made and prints a
// component's log over its own SSH connection: --tail, --since, --follow (until Ctrl-C), a
// component the stack does not have; never a secret → destroy.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliStack } from "../cli/pulumi-cli";
import { loadTestNodes, testNodeConfig } from "../integration/test-nodes";
import { prepareExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const SERVICE = "p16";
const BASE_PORT = 18716; // web, api, worker: 18716-18718
const COMPONENTS = ["web", "api", "worker"] as const;
const CONTAINERS = COMPONENTS.map((name) => `${SERVICE}-${name}`);
const DATA_DIR = mkdtempSync(path.join(tmpdir(), "pulumi-mcp-e2e-p16-"));
const API_TOKEN = `p16-token-${process.pid}-${Date.now()}`;

let stack: CliStack;

beforeAll(() => {
  removeContainers(CONTAINERS);
  stack = prepareExampleStack({
    example: "examples/service",
    name: "e2e-progress-logs",
    stack: "e2e",
    config: {
      ...testNodeConfig(nodes),
      image: nodes.images.v1,
      service: SERVICE,
      basePort: BASE_PORT,
      dataDir: DATA_DIR,
      apiToken: { secret: API_TOKEN },
    },
  });
});

afterAll(() => {
  removeContainers(CONTAINERS);
  rmSync(DATA_DIR, { recursive: true, force: true });
});

/** The installed package's bin script, run as `npx pulumi-mcp …` runs it, in the project. */
function logsCommand(args: string[]): ChildProcess {
  const bin = path.join(stack.options.dir, "node_modules", "pulumi-mcp", "dist", "cli", "main.js");
  return spawn(process.execPath, [bin, "logs", ...args], {
    cwd: stack.options.dir,
    env: stack.env(),
  });
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function finished(child: ChildProcess, until?: (stdout: string) => boolean): Promise<Finished> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`logs command did not finish:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      // A follow runs until the user stops it: Ctrl-C once what we wait for has come.
      if (until?.(stdout) && child.exitCode === null) child.kill("SIGINT");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Lines of the private key's body: if one showed up, the key leaked. */
function expectNoSecret(text: string): void {
  expect(text).not.toContain(API_TOKEN);
  expect(text).not.toContain("PRIVATE KEY");
  const key = readFileSync(nodes.node.privateKeyPath, "utf8").split("\n");
  for (const line of key.filter((l) => l.length >= 20 && !l.startsWith("-----"))) {
    expect(text).not.toContain(line);
  }
}

describe("progress lines and the logs command, through the real pulumi CLI", () => {
  it("up: the CLI prints each component's progress: pulling, pulled (size, time), waiting, done", async () => {
    const run = await stack.run("up");
    expect(run.ok, `${run.stdout}${run.stderr}`).toBe(true);
    // The engine turns each line the provider process writes into a diagnostic event…
    const diagnostics = run.events.flatMap((event) =>
      event.diagnosticEvent ? [event.diagnosticEvent.message] : [],
    );
    for (const container of CONTAINERS) {
      const image = nodes.images.v1.replaceAll(".", "\\.");
      const expected = [
        new RegExp(`pulumi-mcp: ${container}: pulling ${image}`),
        new RegExp(`pulumi-mcp: ${container}: pulled ${image} \\([0-9.]+ [kMG]?B, [0-9.]+ s\\)`),
        new RegExp(`pulumi-mcp: ${container}: waiting for readiness`),
        new RegExp(`pulumi-mcp: ${container}: done: running v1\\.0\\.0 \\([0-9.]+ s\\)`),
      ];
      for (const line of expected) {
        expect(diagnostics.some((message) => line.test(message))).toBe(true);
        // …and the CLI prints it.
        expect(run.stdout).toMatch(line);
      }
    }
    // As a user sees it (test output, for the record).
    console.log(
      run.stdout
        .split("\n")
        .filter((line) => line.includes("pulumi-mcp:"))
        .join("\n"),
    );
  });

  it("logs --tail prints the component's log, read from the stack's state, and no secret", async () => {
    const out = await finished(logsCommand(["--stack", "e2e", `${SERVICE}/api`, "--tail", "5"]));
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("mcp-test-web v1.0.0 listening on :8080 (0 args)");
    expectNoSecret(out.stdout + out.stderr);

    const worker = await finished(logsCommand([`${SERVICE}/worker`, "--since", "1h"]));
    expect(worker.code).toBe(0);
    expect(worker.stdout).toContain("listening on :8080 (2 args)"); // cmd: --queue default

    // Nothing logged in the last second before a date in the future: an empty log, not an error.
    const none = await finished(logsCommand([`${SERVICE}/web`, "--since", "2099-01-01"]));
    expect(none).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("logs --follow keeps streaming until Ctrl-C, and ends cleanly then", async () => {
    const child = logsCommand([`${SERVICE}/web`, "--follow"]);
    let sawLine = false;
    const out = await finished(child, (stdout) => {
      sawLine = stdout.includes("listening on :8080");
      return sawLine;
    });
    expect(sawLine).toBe(true);
    // Ended by our SIGINT (it had not exited by itself), with status 0.
    expect(out.code).toBe(0);
    // …and the follow on the node ended with it (sshd sends a command no signal when the client goes).
    await new Promise((done) => setTimeout(done, 1_000));
    const ps = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
    expect(
      ps.split("\n").filter((line) => line.startsWith(`podman logs --follow -- ${SERVICE}-web`)),
    ).toEqual([]);
    expectNoSecret(out.stdout + out.stderr);
  });

  it("a component the stack does not have is an error naming what it has; a bad flag names the value", async () => {
    const missing = await finished(logsCommand([`${SERVICE}/nope`]));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `pulumi-mcp: the stack has no component ${SERVICE}/nope (it has ${SERVICE}/api, ${SERVICE}/web, ${SERVICE}/worker)\n`,
    );
    const bad = await finished(logsCommand([`${SERVICE}/web`, "--tail", "many"]));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--tail "many": must be a whole number');
  });

  it("destroy removes the service", async () => {
    const run = await stack.run("destroy");
    expect(run.ok, `${run.stdout}${run.stderr}`).toBe(true);
  });
});
