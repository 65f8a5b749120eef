import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ConfigValue } from "../cli/pulumi-cli";

/** What test/fixtures/nodes.sh up wrote: the real sshd, registry and images the tests use. */
export interface TestNodes {
  stateDir: string;
  node: {
    host: string;
    port: number;
    user: string;
    privateKeyPath: string;
    hostKeyFingerprint: string;
    knownHosts: string;
  };
  encryptedKey: { path: string; passphrase: string };
  registry: string;
  images: { v1: string; v2: string; crash: string; missing: string };
  podmanEnv: Record<string, string>;
}

const ENV_FILE = resolve(__dirname, "../../.test-nodes/env.json");

/** The fixture's unprivileged login (rootless podman) and one without subordinate ids. */
export interface RootlessLogin {
  user: string;
  home: string;
  uid: number;
  podmanEnv: Record<string, string>;
  bare: { user: string; home: string; uid: number };
}

export interface RootlessNodes extends TestNodes {
  rootless: RootlessLogin;
}

/** Runs podman as the rootless login, with the environment its SSH sessions get. */
export function podmanAs(login: RootlessLogin, ...args: string[]) {
  const result = spawnSync(
    "runuser",
    [
      "-u",
      login.user,
      "--",
      "env",
      "-i",
      `HOME=${login.home}`,
      `USER=${login.user}`,
      "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
      ...Object.entries(login.podmanEnv).map(([key, value]) => `${key}=${value}`),
      "podman",
      ...args,
    ],
    { encoding: "utf8", cwd: "/" },
  );
  return { exitCode: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function loadTestNodes(): TestNodes {
  let text: string;
  try {
    text = readFileSync(process.env.PULUMI_MCP_TEST_ENV ?? ENV_FILE, "utf8");
  } catch {
    throw new Error(
      `integration tests need the real test nodes: run \`bash test/fixtures/nodes.sh up\` first (no ${ENV_FILE})`,
    );
  }
  const nodes = JSON.parse(text) as TestNodes;
  // podman run directly by the tests (and by `local: true` nodes) uses the same configuration.
  Object.assign(process.env, nodes.podmanEnv);
  return nodes;
}

/** Component inputs for the loopback sshd node, as a user would write them (credentials split). */
export function sshNodeInputs(nodes: TestNodes, extra: Record<string, unknown> = {}) {
  return {
    node: {
      host: nodes.node.host,
      port: nodes.node.port,
      user: nodes.node.user,
      hostKey: nodes.node.hostKeyFingerprint,
      connectTimeoutMs: 5_000,
      // This machine's init is not systemd: the shared test node opts out of boot units.
      bootPersistence: false,
      ...extra,
    },
    credentials: { privateKey: readFileSync(nodes.node.privateKeyPath, "utf8") },
  };
}

/**
 * The test node reached both ways a user can: over the loopback sshd and as
 * `local: true` (commands run here, their stdin a socketpair). Each case has
 * its own host port and service name, `<prefix>-ssh` / `<prefix>-local`.
 */
export function sshAndLocal(nodes: TestNodes, prefix: string, ports: readonly [number, number]) {
  return [
    { label: "ssh node", port: ports[0], name: `${prefix}-ssh`, node: () => sshNodeInputs(nodes) },
    {
      label: "local node",
      port: ports[1],
      name: `${prefix}-local`,
      node: () => ({ node: { host: "localhost", local: true, bootPersistence: false } }),
    },
  ];
}

/**
 * A container as a user (or MCP's agent) starts it by hand: no labels of ours, no `--` before the
 * image, env MODE=hand-made, cmd `--flag "value with spaces"`. What the adoption tests take over.
 */
export function runHandMade(name: string, hostPort: number, image: string) {
  return podman(
    "run",
    "-d",
    "--name",
    name,
    "-p",
    `127.0.0.1:${hostPort}:8080`,
    "--restart",
    "unless-stopped",
    "-e",
    "MODE=hand-made",
    image,
    "--flag",
    "value with spaces",
  );
}

/** Runs podman on this machine (the node the loopback sshd serves) to look behind the provider's back. */
export function podman(...args: string[]): { exitCode: number; stdout: string; stderr: string } {
  const result = spawnSync("podman", args, { encoding: "utf8", env: process.env });
  return { exitCode: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The command line podman recorded for a container (its CreateCommand), as JSON. */
export function createCommandOf(container: string): string {
  return podman("container", "inspect", "--format", "{{json .Config.CreateCommand}}", container)
    .stdout;
}

/**
 * Removes containers one name at a time: podman 4.3's `rm --force a b` removes
 * nothing at all (and exits 0) when one of the names does not exist.
 */
export function removeContainers(...names: string[]): void {
  for (const name of names) podman("rm", "--force", "--time", "0", name);
}

export function containerNames(): string[] {
  return podman("ps", "--all", "--format", "{{.Names}}").stdout.split("\n").filter(Boolean);
}

/** GETs a URL with a short per-try timeout, retrying until `totalMs`. */
export async function httpGet(url: string, totalMs = 10_000): Promise<string> {
  const deadline = Date.now() + totalMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return await response.text();
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`no answer from ${url}: ${String(lastError)}`);
}

/** Config for the loopback test node as an example's `host/port/user/hostKey/sshKey` keys. */
export function testNodeConfig(nodes: TestNodes): Record<string, ConfigValue> {
  return {
    host: nodes.node.host,
    port: nodes.node.port,
    user: nodes.node.user,
    hostKey: nodes.node.hostKeyFingerprint,
    sshKey: { secret: readFileSync(nodes.node.privateKeyPath, "utf8") },
    // This machine's init is not systemd: the shared test node opts out of boot units.
    bootPersistence: false,
  };
}
