// End to end through the REAL Pulumi CLI (test/cli), at its own default parallelism: 40 container
// components on one node (bench/program). What README promises about round trips, measured from
// the provider process itself (every SSH handshake and exec channel, test/cli's probe):
// one SSH connection per node per run; the engine runs at most `--parallel` steps at once (8 unless
// told), and a destroy's removals go out batched, at most four commands at once per node (each
// waits out a stop timeout; one more batch collects meanwhile): fewer `podman rm` than containers
// at the default (seen: 13-21 for 40, as the Deletes of a wave arrive spread out), and with
// `--parallel 40` at most five for all 40 (seen: 2-5, one for the first burst of Deletes, the
// others for stragglers). A refresh is one command whatever the parallelism: the first read
// inspects every managed container on the node and the others are answered from that
// (refresh-snapshot).

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliRun, CliStack } from "../cli/pulumi-cli";
import { loadTestNodes } from "../integration/test-nodes";
import { leftOver, prepareExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const COUNT = 40;
const PORT_BASE = 18800; // 18800-18839
const SERVICE = "e2ebatcha";
const CONTAINERS = Array.from(
  { length: COUNT },
  (_, i) => `${SERVICE}-c${String(i).padStart(2, "0")}`,
);

let stack: CliStack;

/** The podman subcommands the run sent, e.g. "inspect", "rm" (wrappers and flags skipped). */
function podmanCalls(run: CliRun, subcommand: string): string[] {
  return run.execs.filter((line) =>
    new RegExp(`\\bpodman\\b[^|;&]*?\\s'?${subcommand}'?\\s`).test(line),
  );
}

/** "3 podman rm of 20+15+5 names": how the commands split the containers. */
function sizes(commands: string[]): string {
  const names = commands.map((line) => line.split(" -- ").at(-1)?.trim().split(/\s+/).length ?? 0);
  return `${commands.length} podman rm of ${names.join("+")} names`;
}

beforeAll(() => {
  removeContainers(CONTAINERS);
  stack = prepareExampleStack({
    example: "bench/program",
    name: "e2e-batching",
    stack: "e2e",
    config: {
      nodes: JSON.stringify([
        {
          host: nodes.node.host,
          port: nodes.node.port,
          user: nodes.node.user,
          hostKey: nodes.node.hostKeyFingerprint,
          portBase: PORT_BASE,
        },
      ]),
      count: COUNT,
      image: nodes.images.v1,
      servicePrefix: "e2ebatch",
      minUptime: 0,
      stopTimeout: 1,
      // This machine's init is not systemd: the shared test node opts out of boot units.
      bootPersistence: false,
      sshKey: { secret: readFileSync(nodes.node.privateKeyPath, "utf8") },
    },
    timeoutMs: 400_000,
  });
});

afterAll(() => removeContainers(CONTAINERS));

/** `--parallel` the CLI uses when not told (`pulumi up --help`: "(default 8)"). */
const CLI_DEFAULT_PARALLEL = 8;

describe(`${COUNT} components on one node through the real pulumi CLI`, () => {
  it("up creates them all over one SSH connection", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(run.stdout).toContain(`+ ${COUNT + 1} created`);
    expect(run.handshakes).toBe(1);
    console.info(`up of ${COUNT}: ${run.execs.length} exec channels, ${run.durationMs} ms`);
  });

  it(`refresh at the CLI's default --parallel ${CLI_DEFAULT_PARALLEL}: one round trip for all ${COUNT} (one inspection of every managed container), one connection`, async () => {
    const run = await stack.run("refresh", { expectNoChanges: true });
    expect(run.ok).toBe(true);
    expect(run.handshakes).toBe(1);
    expect(podmanCalls(run, "inspect")).toHaveLength(1);
    expect(run.execs).toHaveLength(1);
    console.info(`refresh of ${COUNT}: ${run.execs.length} exec channel, ${run.durationMs} ms`);
  });

  it(`refresh with --parallel ${COUNT}: at most two podman inspect commands`, async () => {
    const run = await stack.run("refresh", { expectNoChanges: true, parallel: COUNT });
    expect(run.ok).toBe(true);
    expect(run.handshakes).toBe(1);
    const inspects = podmanCalls(run, "inspect");
    expect(inspects.length).toBeGreaterThanOrEqual(1);
    expect(inspects.length).toBeLessThanOrEqual(2);
    console.info(
      `refresh --parallel ${COUNT}: ${inspects.length} podman inspect, ${run.durationMs} ms`,
    );
  });

  it(`destroy at the default --parallel: fewer podman rm than containers`, async () => {
    const run = await stack.run("destroy");
    const removals = podmanCalls(run, "rm");
    console.info(`destroy of ${COUNT}: ${sizes(removals)}, ${run.durationMs} ms`);
    expect(run.ok).toBe(true);
    expect(run.handshakes).toBe(1);
    expect(removals.length).toBeLessThan(COUNT);
    expect(leftOver(CONTAINERS)).toEqual([]);
  });

  it(`destroy with --parallel ${COUNT}: at most five podman rm for all of them`, async () => {
    expect((await stack.run("up")).ok).toBe(true);
    const run = await stack.run("destroy", { parallel: COUNT });
    const removals = podmanCalls(run, "rm");
    console.info(`destroy --parallel ${COUNT}: ${sizes(removals)}, ${run.durationMs} ms`);
    expect(run.ok).toBe(true);
    expect(run.handshakes).toBe(1);
    expect(removals.length).toBeGreaterThanOrEqual(1);
    expect(removals.length).toBeLessThanOrEqual(5);
    expect(leftOver(CONTAINERS)).toEqual([]);
  });
});
