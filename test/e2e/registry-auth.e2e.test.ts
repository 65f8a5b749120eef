// End to end through the REAL Pulumi CLI (test/cli): examples/service pulling its images from the
// fixture's registry with htpasswd auth (test/fixtures/registry-auth.sh), the registry password
// set with `pulumi config set --secret`, on the loopback sshd:
// up → the password in neither the CLI's output nor the state file → the registry's password
// changes and so does the config: preview shows the registry's revision going up and opens no SSH
// connection, up updates state only → the next image pull logs in with the new password (the old
// one is refused by then) → a wrong password: up fails naming the registry and the component,
// the running containers untouched → destroy.

import { rmSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, opsByName } from "../cli/pulumi-cli";
import {
  loadPrivateRegistry,
  registryAnswers,
  removeRegistryLogin,
  setRegistryLogin,
} from "../integration/private-registry";
import { httpGet, loadTestNodes, podman, testNodeConfig } from "../integration/test-nodes";
import { changedLines, sectionOf } from "./cli-output";
import { leftOver, prepareExampleStack, removeContainers, startedAt } from "./example-stack";

const nodes = loadTestNodes();
const registry = loadPrivateRegistry();
const SERVICE = "e2ereg";
const BASE_PORT = 18641; // web 18641, api 18642, worker 18643
const CONTAINERS = ["web", "api", "worker"].map((name) => `${SERVICE}-${name}`);
const DATA_DIR = path.join(nodes.stateDir, "volumes", "e2e-registry-auth");
const USER = `mcp-cli-${process.pid}`;
const FIRST = `first-${process.pid}-${Date.now()}`;
const SECOND = `second-${process.pid}-${Date.now()}`;
const WRONG = `wrong-${process.pid}-${Date.now()}`;
const SERVICE_TYPE = "pulumi-nodejs:dynamic/mcp:Service";

let stack: CliStack;

function expectNowhere(text: string, ...secrets: string[]): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

beforeAll(async () => {
  removeContainers(CONTAINERS);
  rmSync(DATA_DIR, { recursive: true, force: true });
  for (const image of [registry.images.v1, registry.images.v2]) podman("rmi", "--force", image);
  setRegistryLogin(registry, USER, FIRST);
  await registryAnswers(registry, USER, FIRST);
  stack = prepareExampleStack({
    example: "examples/service",
    name: "e2e-registry-auth",
    stack: "e2e",
    config: {
      ...testNodeConfig(nodes),
      image: registry.images.v1,
      service: SERVICE,
      basePort: BASE_PORT,
      dataDir: DATA_DIR,
      apiToken: { secret: `token-${process.pid}` },
      registryServer: registry.server,
      registryUser: USER,
      registryPassword: { secret: FIRST },
    },
  });
});

afterAll(() => {
  removeContainers(CONTAINERS);
  try {
    removeRegistryLogin(registry, USER);
  } catch {
    // never added
  }
});

describe("a private registry's login through the real pulumi CLI", () => {
  it("up logs in and pulls; the password is in neither the CLI's output nor the state file", async () => {
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    expect(opsByName(up)).toMatchObject({ shop: "create" });
    for (let index = 0; index < 3; index++)
      expect(await httpGet(`http://127.0.0.1:${BASE_PORT + index}/version`)).toBe("v1.0.0");
    expectNowhere(up.stdout, FIRST);
    expectNowhere(stack.stateText(), FIRST);
  });

  it("a rotated password: preview shows the registry's revision and opens no connection; up changes state only", async () => {
    setRegistryLogin(registry, USER, SECOND);
    await registryAnswers(registry, USER, FIRST, false);
    stack.setConfig("registryPassword", SECOND, { secret: true });
    const preview = await stack.run("preview", { diff: true });
    expect(preview.ok).toBe(true);
    expect(opsByName(preview)).toMatchObject({ shop: "update" });
    expect(changedLines(sectionOf(preview.stdout, "shop"))).toEqual([
      `~ ${SERVICE_TYPE}: (update)`,
      "~ revisions: {",
      `~ registries.${registry.server}: 1 => 2`,
    ]);
    expect(preview.handshakes).toBe(0);
    expect(preview.connects).toEqual([]);
    expectNowhere(preview.stdout, FIRST, SECOND);

    const before = startedAt(CONTAINERS);
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    expect(opsByName(up)).toMatchObject({ shop: "update" });
    expect(up.handshakes).toBe(0);
    expect(startedAt(CONTAINERS)).toEqual(before);
    expectNowhere(up.stdout, FIRST, SECOND);
    expectNowhere(stack.stateText(), FIRST, SECOND);
  });

  it("the next pull logs in again, with the new password (the old one is refused now)", async () => {
    stack.setConfig("image", registry.images.v2);
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    for (let index = 0; index < 3; index++)
      expect(await httpGet(`http://127.0.0.1:${BASE_PORT + index}/version`)).toBe("v2.0.0");
    expectNowhere(up.stdout, SECOND);
    expectNowhere(stack.stateText(), SECOND);
  });

  it("a wrong password: up fails naming the registry and the component; what runs is untouched", async () => {
    stack.setConfig("registryPassword", WRONG, { secret: true });
    stack.setConfig("image", registry.images.v1);
    const before = startedAt(CONTAINERS);
    const up = await stack.run("up");
    expect(up.ok).toBe(false);
    expect(up.stdout).toContain(`logging in to registry ${registry.server} as ${USER} failed`);
    expect(up.stdout).toMatch(/component (web|api|worker)/);
    expectNowhere(up.stdout, WRONG, SECOND);
    expectNowhere(stack.stateText(), WRONG, SECOND);
    expect(startedAt(CONTAINERS)).toEqual(before);
    for (let index = 0; index < 3; index++)
      expect(await httpGet(`http://127.0.0.1:${BASE_PORT + index}/version`)).toBe("v2.0.0");
  });

  it("destroy removes every component", async () => {
    const destroy = await stack.run("destroy");
    expect(destroy.ok).toBe(true);
    expect(leftOver(CONTAINERS)).toEqual([]);
  });
});
