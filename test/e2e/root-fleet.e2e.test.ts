// End to end through the TEST ENGINE (test/engine — not the Pulumi CLI): the repository's root
// fleet program (Pulumi.yaml with `main: stack/`, Pulumi.dev.yaml, Pulumi.prod.yaml), copied as a
// user's infra repo with pulumi-mcp installed from `npm pack` (root-fleet-program.ts).
// (a) preview of prod (passphrase secrets): creates every service, contacts no node (the provider
//     process makes no TCP connect at all, no SSH handshake), no secret in any output;
// (b) dev, with the machine-specific values set as `pulumi config set` would: up → every component
//     answers HTTP → up again (no changes, no SSH) → destroy. The copy's dev services get an "e2e"
//     prefix: the dev stack's hello-web is also examples/basic's container (its test, npm run demo);
// (c) invalid stack config fails at preview naming the config key and the bad value.

import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineRunError, formatPreview, type PreparedProgram, prepareProgram } from "../engine";
import { loadStackConfig, setStackConfig, stackFilePath } from "../engine/stack-file";
import type { ConfigValue } from "../engine/types";
import { httpGet, loadTestNodes } from "../integration/test-nodes";
import {
  type ExampleStack,
  exampleStack,
  leftOver,
  opsByName,
  removeContainers,
} from "./example-stack";
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

/** Runs `read` with PULUMI_CONFIG_PASSPHRASE set, as the CLI would have it for that stack. */
function withPassphrase<T>(passphrase: string, read: () => T): T {
  const before = process.env.PULUMI_CONFIG_PASSPHRASE;
  process.env.PULUMI_CONFIG_PASSPHRASE = passphrase;
  try {
    return read();
  } finally {
    if (before === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
    else process.env.PULUMI_CONFIG_PASSPHRASE = before;
  }
}

let program: PreparedProgram;
let prod: ExampleStack;
let dev: ExampleStack;
let devComponents: DeclaredComponent[] = [];
const devContainers = () => devComponents.map((c) => `${c.service}-${c.name}`);
const config = (stack: string, passphrase: string) => () =>
  withPassphrase(passphrase, () => loadStackConfig(program.dir, stack));

beforeAll(() => {
  program = prepareProgram({ example: stageRootFleet(), name: "e2e-root-fleet" });
  prefixServices(stackFilePath(program.dir, "dev"), "e2e");
  prod = exampleStack(program, { stack: "prod", config: config("prod", PROD_PASSPHRASE) });
  dev = exampleStack(program, { stack: "dev", config: config("dev", DEV_PASSPHRASE) });
  const services = loadStackConfig(program.dir, "dev")[`${PROJECT}:services`];
  devComponents = declaredComponents(String(services));
  removeContainers(devContainers());
});

afterAll(() => removeContainers(devContainers()));

describe("the root fleet program (main: stack/) through the test engine", () => {
  it("(a) preview of prod: every service to create, no node contacted, no secret shown", async () => {
    const prodConfig = config("prod", PROD_PASSPHRASE)();
    const declared = declaredComponents(String(prodConfig[`${PROJECT}:services`]));
    const { summary, handshakes, connects } = await prod.run("preview");
    const services = [...new Set(declared.map((c) => c.service))];
    expect(services.length).toBeGreaterThan(1);
    expect(opsByName(summary)).toEqual({
      [`${PROJECT}-prod`]: "create",
      ...Object.fromEntries(services.map((name) => [name, "create"])),
    });
    // What a reviewer reads: each component's image in the planned inputs.
    const planned = JSON.stringify(summary.resources.map((r) => r.changes));
    for (const component of declared) expect(planned).toContain(component.image);
    // The prod hosts are fake: the provider process neither connected nor shook hands.
    expect(connects).toEqual([]);
    expect(handshakes).toBe(0);
    const secrets = secretStrings(prodConfig);
    expect(secrets.length).toBeGreaterThan(1);
    const state = existsSync(prod.stateFile) ? readFileSync(prod.stateFile, "utf8") : "";
    const shown = `${formatPreview(summary)}\n${JSON.stringify(summary)}\n${state}`;
    for (const secret of secrets) expect(shown).not.toContain(secret);
  });

  it("(b) dev: config set per machine, up → every component answers HTTP", async () => {
    withPassphrase(DEV_PASSPHRASE, () => {
      const at = ["loopback", "hostKey"];
      setStackConfig(program.dir, "dev", `${PROJECT}:nodes`, nodes.node.hostKeyFingerprint, { at });
      const key = readFileSync(nodes.node.privateKeyPath, "utf8");
      setStackConfig(program.dir, "dev", `${PROJECT}:sshKey`, key, { secret: true });
    });
    const stackFile = readFileSync(stackFilePath(program.dir, "dev"), "utf8");
    expect(stackFile).toMatch(/sshKey:\n\s+secure: v1:/);
    expect(stackFile).not.toContain("PRIVATE KEY");
    const { summary, handshakes } = await dev.run("up");
    expect(handshakes).toBeGreaterThan(0);
    const published = devComponents.filter((c) => (c.ports ?? []).length > 0);
    expect(published.length).toBeGreaterThan(1);
    for (const component of published) {
      expect(opsByName(summary)[component.service]).toBe("create");
      const [, hostPort] = /^(?:.*:)?(\d+):\d+(?:\/tcp)?$/.exec(component.ports?.[0] ?? "") ?? [];
      const tag = component.image.slice(component.image.lastIndexOf(":") + 1);
      expect(await httpGet(`http://127.0.0.1:${hostPort}/version`)).toBe(tag);
    }
    const secrets = secretStrings(config("dev", DEV_PASSPHRASE)());
    for (const secret of secrets) {
      expect(JSON.stringify(summary)).not.toContain(secret);
      expect(readFileSync(dev.stateFile, "utf8")).not.toContain(secret);
    }
  });

  it("(b) dev: up again changes nothing and opens no SSH connection", async () => {
    const { summary, handshakes, connects } = await dev.run("up");
    expect(new Set(summary.resources.map((r) => r.op))).toEqual(new Set(["same"]));
    expect(handshakes).toBe(0);
    expect(connects).toEqual([]);
  });

  it("(b) dev: destroy leaves no container", async () => {
    const { summary } = await dev.run("destroy");
    expect(new Set(summary.resources.map((r) => r.op))).toEqual(new Set(["delete"]));
    expect(leftOver(devContainers())).toEqual([]);
  });

  it.each([
    {
      what: "a service on a node that does not exist",
      edit: (s: Services) => setIn(s, [first(s), "node"], "nowhere"),
      key: (s: Services) => `${PROJECT}:services.${first(s)}.node`,
      value: '"nowhere"',
    },
    {
      what: "a :latest image",
      edit: (s: Services) =>
        setIn(s, [first(s), "components", 0, "image"], `${nodes.registry}/mcp-test/web:latest`),
      key: (s: Services) => `${PROJECT}:services.${first(s)}.components[0].image`,
      value: `"${nodes.registry}/mcp-test/web:latest"`,
    },
    {
      what: "a port out of range",
      edit: (s: Services) =>
        setIn(s, [first(s), "components", 0, "ports", 0], "127.0.0.1:99999:80"),
      key: (s: Services) => `${PROJECT}:services.${first(s)}.components[0].ports[0]`,
      value: '"127.0.0.1:99999:80"',
    },
  ])("(c) $what fails at preview naming the key and the value", async (bad) => {
    const base = config("dev", DEV_PASSPHRASE)();
    const services = JSON.parse(String(base[`${PROJECT}:services`])) as Services;
    const key = bad.key(services);
    bad.edit(services);
    const override: Record<string, ConfigValue> = {
      [`${PROJECT}:services`]: JSON.stringify(services),
    };
    const error = await dev.run("preview", override).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineRunError);
    const message = (error as EngineRunError).message;
    const line = message.split("\n").find((l) => l.includes(key));
    expect(line, message).toBeDefined();
    expect(line).toContain(bad.value);
    expect((error as EngineRunError).summary.resources.filter((r) => r.custom)).toEqual([]);
  });
});

type Services = Record<string, Record<string, unknown>>;

function first(services: Services): string {
  const [name] = Object.keys(services);
  if (name === undefined) throw new Error("the dev stack declares no service");
  return name;
}

/** Sets a value at a path of objects and arrays (which must exist up to the last step). */
function setIn(root: unknown, steps: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const step of steps.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  node[steps[steps.length - 1] ?? ""] = value;
}
