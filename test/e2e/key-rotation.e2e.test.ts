// End to end through the REAL Pulumi CLI (test/cli), issue 11 item 3: rotating the login key of a
// node. The node is an sshd of this test's own (127.0.0.1:22031, its own host key and its own
// authorized_keys, podman configured as on the shared test node), so the shared fixture's
// authorized_keys is never touched. K1 and K2 are fresh ed25519 keys.
//
//   up with K1 → K2 authorized too, `pulumi config set --secret sshKey <K2>` → preview and up: an
//   update of state only (no SSH handshake, nothing restarted) → K1 removed from the node →
//   refresh and destroy succeed, with K2.
//
// Before the fix a change of credentials only was "no change": the engine kept K1 in state, and
// once K1 was revoked refresh and destroy failed to log in (they connect with what state holds).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Client } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareProgram } from "../cli/prepare-program";
import { type CliStack, opsByName } from "../cli/pulumi-cli";
import { containerNames, loadTestNodes, podman } from "../integration/test-nodes";
import { changedLines, sectionOf } from "./cli-output";
import { exampleStack, leftOver, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const SSH_PORT = 22031;
const CONTAINERS = ["e2eeng-rot", "e2eeng-rots-web"];
const COMPONENT_TYPE = "pulumi-nodejs:dynamic/mcp:Component";
const SERVICE_TYPE = "pulumi-nodejs:dynamic/mcp:Service";

let dir = "";
let sshdPid = 0;
let hostKey = "";
let k1 = "";
let k2 = "";
let stack: CliStack;

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

function keygen(name: string): string {
  const file = path.join(dir, name);
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `e2eeng-${name}`, "-f", file]);
  return file;
}

function authorize(...keys: string[]): void {
  const lines = keys.map((key) => readFileSync(`${key}.pub`, "utf8").trim());
  writeFileSync(path.join(dir, "authorized_keys"), `${lines.join("\n")}\n`, { mode: 0o600 });
}

/** Whether `key` logs in to the test's sshd (ssh2, as the provider connects). */
function logsIn(key: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client = new Client();
    client
      .on("ready", () => {
        client.end();
        resolve(true);
      })
      .on("error", () => resolve(false))
      .connect({
        host: "127.0.0.1",
        port: SSH_PORT,
        username: nodes.node.user,
        privateKey: readFileSync(key),
        readyTimeout: 5_000,
      });
  });
}

async function waitForSshd(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const listening = spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${SSH_PORT}`]);
    if (listening.status === 0) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(
    `sshd did not listen on 127.0.0.1:${SSH_PORT}: ${readFileSync(path.join(dir, "sshd.log"), "utf8")}`,
  );
}

function startedAt(): Record<string, string> {
  return Object.fromEntries(
    CONTAINERS.map((name) => [
      name,
      podman(
        "container",
        "inspect",
        "--format",
        "{{.Id}} {{.State.StartedAt}}",
        name,
      ).stdout.trim(),
    ]),
  );
}

beforeAll(async () => {
  removeContainers(CONTAINERS);
  dir = mkdtempSync(path.join(tmpdir(), "e2eeng-sshd-"));
  const hostKeyFile = keygen("host_key");
  hostKey = run("ssh-keygen", ["-lf", `${hostKeyFile}.pub`]).split(" ")[1] ?? "";
  expect(hostKey).toMatch(/^SHA256:/);
  k1 = keygen("k1");
  k2 = keygen("k2");
  authorize(k1);
  const podmanEnv = Object.entries(nodes.podmanEnv)
    .map(([key, value]) => `"${key}=${value}"`)
    .join(" ");
  const config = path.join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      "# TEST ONLY (test/e2e/key-rotation.e2e.test.ts): a node of this test's own, on loopback.",
      `Port ${SSH_PORT}`,
      "ListenAddress 127.0.0.1",
      "AddressFamily inet",
      `HostKey "${hostKeyFile}"`,
      `PidFile "${path.join(dir, "sshd.pid")}"`,
      `AuthorizedKeysFile "${path.join(dir, "authorized_keys")}"`,
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitEmptyPasswords no",
      "UsePAM no",
      "StrictModes no",
      "MaxSessions 20",
      `SetEnv ${podmanEnv}`,
      "PermitUserEnvironment no",
      "PrintMotd no",
      "UseDNS no",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  run("/usr/sbin/sshd", ["-f", config, "-E", path.join(dir, "sshd.log")]);
  await waitForSshd();
  sshdPid = Number(readFileSync(path.join(dir, "sshd.pid"), "utf8").trim());
  expect(sshdPid).toBeGreaterThan(1);

  stack = exampleStack(
    prepareProgram({ example: "test/e2e/programs/engine", name: "e2e-key-rotation" }),
    {
      stack: "rotate",
      config: {
        scenario: "rotate",
        host: "127.0.0.1",
        port: SSH_PORT,
        user: nodes.node.user,
        hostKey,
        sshKey: { secret: readFileSync(k1, "utf8") },
        image: nodes.images.v1,
        // This machine's init is not systemd: no boot units (as testNodeConfig says).
        bootPersistence: false,
      },
    },
  );
});

afterAll(() => {
  removeContainers(CONTAINERS);
  if (sshdPid > 1) {
    try {
      process.kill(sshdPid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("rotating a node's login key through the real pulumi CLI", () => {
  it("up with K1 creates a Component and a Service on the test's own sshd", async () => {
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    expect(opsByName(up)).toMatchObject({ "e2eeng-rot": "create", "e2eeng-rots": "create" });
    expect(up.handshakes).toBe(1);
    expect(new Set(up.connects)).toEqual(new Set([`127.0.0.1:${SSH_PORT}`]));
    expect(leftOver(CONTAINERS).sort()).toEqual([...CONTAINERS].sort());
  });

  it("K2 in config: preview shows an update of the credentials alone and opens no SSH connection", async () => {
    authorize(k1, k2);
    stack.setConfig("sshKey", readFileSync(k2, "utf8"), { secret: true });
    const preview = await stack.run("preview", { diff: true });
    expect(preview.ok).toBe(true);
    expect(opsByName(preview)).toMatchObject({ "e2eeng-rot": "update", "e2eeng-rots": "update" });
    // What a reviewer reads: the key's revision going up. The key itself prints as [secret] on
    // both sides and a dynamic provider's diff names no keys (provider/diff/revisions.ts).
    const component = sectionOf(preview.stdout, "e2eeng-rot");
    const service = sectionOf(preview.stdout, "e2eeng-rots");
    for (const [section, type] of [
      [component, COMPONENT_TYPE],
      [service, SERVICE_TYPE],
    ] as const) {
      expect(changedLines(section)).toEqual([
        `~ ${type}: (update)`,
        "~ revisions: {",
        "~ credentials.privateKey: 1 => 2",
      ]);
    }
    for (const section of [component, service])
      expect(section).toMatch(/^ {8}credentials\s*: \[secret\]$/m);
    expect(preview.stdout).toMatch(/^ {4}~ 2 to update$/m);
    expect(preview.stdout).not.toContain("PRIVATE KEY");
    expect(preview.handshakes).toBe(0);
    expect(preview.connects).toEqual([]);
  });

  it("up applies it to state only: no SSH handshake, nothing restarted", async () => {
    const before = startedAt();
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    expect(opsByName(up)).toMatchObject({ "e2eeng-rot": "update", "e2eeng-rots": "update" });
    expect(up.handshakes).toBe(0);
    expect(up.connects).toEqual([]);
    expect(startedAt()).toEqual(before);
    // The progress lines name no diff (a dynamic provider's diff names no keys).
    expect(up.stdout).toMatch(/~ {2}pulumi-nodejs:dynamic\/mcp:Component e2eeng-rot updated \(/);
    expect(stack.stateText()).not.toContain("PRIVATE KEY");
  });

  it("with K1 removed from the node, refresh and destroy log in with K2 and succeed", async () => {
    authorize(k2);
    // The premise: the old key is really revoked, the new one works.
    expect(await logsIn(k1)).toBe(false);
    expect(await logsIn(k2)).toBe(true);
    const refresh = await stack.run("refresh", { expectNoChanges: true });
    expect(refresh.ok).toBe(true);
    expect(refresh.handshakes).toBe(1);
    const destroy = await stack.run("destroy");
    expect(destroy.ok).toBe(true);
    expect(leftOver(CONTAINERS)).toEqual([]);
    expect(containerNames()).not.toContain("e2eeng-rot");
    expect(stack.exportState().resources ?? []).toEqual([]);
  });
});
