// End to end through the REAL Pulumi CLI (test/cli): the repository's root fleet program
// (Pulumi.yaml with `main: stack/`, Pulumi.dev.yaml, Pulumi.prod.yaml and their passphrase-encrypted
// secrets), copied as a user's infra repo with pulumi-mcp installed from `npm pack`
// (root-fleet-program.ts).
// (a) preview of prod: the CLI decrypts the stack file's secrets; every service to create, no node
//     contacted (the provider process makes no TCP connect at all, no SSH handshake), no secret in
//     the output or the state;
// (b) dev, with the machine-specific values set as README says (`pulumi config set --path
//     nodes.loopback.hostKey …`, `pulumi config set --secret sshKey`): up → every component answers
//     HTTP → preview --expect-no-changes (no SSH) → destroy. The copy's dev services get an "e2e"
//     prefix: the dev stack's hello-web is also examples/basic's container;
// (c) invalid stack config (`pulumi config set --path …`) fails at preview naming the config key and
//     the bad value, before any resource is registered.

import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PreparedProgram, prepareProgram } from "../cli/prepare-program";
import { type CliStack, opsByName } from "../cli/pulumi-cli";
import { httpGet, loadTestNodes } from "../integration/test-nodes";
import { exampleStack, leftOver, removeContainers } from "./example-stack";
import {
  type DeclaredComponent,
  declaredComponents,
  PROJECT,
  prefixServices,
  secretStrings,
  stageRootFleet,
} from "./root-fleet-program";

const nodes = loadTestNodes();
const PROD_PASSPHRASE = "prod-example-only";
const DEV_PASSPHRASE = "dev-e2e-only";

let program: PreparedProgram;
let prod: CliStack;
let dev: CliStack;
let devComponents: DeclaredComponent[] = [];
const devContainers = () => devComponents.map((c) => `${c.service}-${c.name}`);

/** `pulumi config --json --show-secrets`: every key's value (structured ones as objects). */
function configOf(stack: CliStack): Record<string, { value: unknown; secret: boolean }> {
  const text = stack.pulumi(["config", "--json", "--show-secrets", "--stack", stack.stack]);
  const entries = JSON.parse(text) as Record<
    string,
    { value: string; secret: boolean; objectValue?: unknown }
  >;
  return Object.fromEntries(
    Object.entries(entries).map(([key, e]) => [
      key,
      { value: e.objectValue ?? e.value, secret: e.secret },
    ]),
  );
}

beforeAll(() => {
  program = prepareProgram({ example: stageRootFleet(), name: "e2e-root-fleet" });
  prefixServices(path.join(program.dir, "Pulumi.dev.yaml"), "e2e");
  prod = exampleStack(program, { stack: "prod", passphrase: PROD_PASSPHRASE, keepConfig: true });
  dev = exampleStack(program, { stack: "dev", passphrase: DEV_PASSPHRASE, keepConfig: true });
  devComponents = declaredComponents(configOf(dev)[`${PROJECT}:services`]?.value);
  removeContainers(devContainers());
});

afterAll(() => removeContainers(devContainers()));

describe("the root fleet program (main: stack/) through the real pulumi CLI", () => {
  it("(a) preview of prod: every service to create, no node contacted, no secret shown", async () => {
    const config = configOf(prod);
    const declared = declaredComponents(config[`${PROJECT}:services`]?.value);
    const run = await prod.run("preview", { diff: true });
    expect(run.ok).toBe(true);
    const services = [...new Set(declared.map((c) => c.service))];
    expect(services.length).toBeGreaterThan(1);
    const ops = opsByName(run);
    for (const name of services) expect(ops[name]).toBe("create");
    // What a reviewer reads: each component's image in the planned inputs.
    for (const component of declared) expect(run.stdout).toContain(component.image);
    // The prod hosts are fake: the provider process neither connected nor shook hands.
    expect(run.connects).toEqual([]);
    expect(run.handshakes).toBe(0);
    const secrets = secretStrings(config);
    expect(secrets.length).toBeGreaterThan(1);
    const shown = `${run.stdout}\n${run.stderr}\n${JSON.stringify(run.events)}\n${prod.stateText()}`;
    for (const secret of secrets) expect(shown).not.toContain(secret);
  });

  it("(b) dev: config set per machine, up → every component answers HTTP", async () => {
    dev.setConfig("nodes.loopback.hostKey", nodes.node.hostKeyFingerprint, { path: true });
    dev.setConfig("sshKey", readFileSync(nodes.node.privateKeyPath, "utf8"), { secret: true });
    const stackFile = readFileSync(path.join(program.dir, "Pulumi.dev.yaml"), "utf8");
    expect(stackFile).toMatch(/sshKey:\n\s+secure: v1:/);
    expect(stackFile).not.toContain("PRIVATE KEY");
    const run = await dev.run("up");
    expect(run.ok).toBe(true);
    expect(run.handshakes).toBe(1);
    const published = devComponents.filter((c) => (c.ports ?? []).length > 0);
    expect(published.length).toBeGreaterThan(1);
    for (const component of published) {
      expect(opsByName(run)[component.service]).toBe("create");
      const [, hostPort] = /^(?:.*:)?(\d+):\d+(?:\/tcp)?$/.exec(component.ports?.[0] ?? "") ?? [];
      const tag = component.image.slice(component.image.lastIndexOf(":") + 1);
      expect(await httpGet(`http://127.0.0.1:${hostPort}/version`)).toBe(tag);
    }
    for (const secret of secretStrings(configOf(dev))) {
      expect(run.stdout).not.toContain(secret);
      expect(dev.stateText()).not.toContain(secret);
    }
  });

  it("(b) dev: preview --expect-no-changes passes and opens no SSH connection", async () => {
    const run = await dev.run("preview", { expectNoChanges: true });
    expect(run.ok).toBe(true);
    expect(run.handshakes).toBe(0);
    expect(run.connects).toEqual([]);
  });

  it("(b) dev: destroy leaves no container", async () => {
    const run = await dev.run("destroy");
    expect(run.ok).toBe(true);
    expect(leftOver(devContainers())).toEqual([]);
  });

  it.each([
    {
      what: "a service on a node that does not exist",
      at: (s: string) => `services.${s}.node`,
      value: "nowhere",
    },
    {
      what: "a :latest image",
      at: (s: string) => `services.${s}.components[0].image`,
      value: `${nodes.registry}/mcp-test/web:latest`,
    },
    {
      what: "a port out of range",
      at: (s: string) => `services.${s}.components[0].ports[0]`,
      value: "127.0.0.1:99999:80",
    },
  ])("(c) $what fails at preview naming the key and the value", async (bad) => {
    const [first] = devComponents;
    if (!first) throw new Error("the dev stack declares no service");
    const key = bad.at(first.service);
    const before = readFileSync(path.join(program.dir, "Pulumi.dev.yaml"), "utf8");
    dev.setConfig(key, bad.value, { path: true });
    try {
      const run = await dev.run("preview");
      expect(run.ok).toBe(false);
      const output = `${run.stdout}\n${run.stderr}`;
      const line = output.split("\n").find((l) => l.includes(`${PROJECT}:${key}`));
      expect(line, output).toBeDefined();
      expect(line).toContain(JSON.stringify(bad.value));
      expect(run.steps.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic"))).toEqual([]);
    } finally {
      writeFileSync(path.join(program.dir, "Pulumi.dev.yaml"), before);
    }
  });
});
