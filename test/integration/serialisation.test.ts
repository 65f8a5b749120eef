// The Component provider survives Pulumi's closure serialisation and runs in the SDK's own
// dynamic-provider process (test/harness), against the real loopback sshd and podman. The
// package is installed from `npm pack` output, as users get it.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import {
  type DynamicProviderClient,
  dynamicResourceUrn,
  startDynamicProvider,
} from "../harness/dynamic-provider-process";
import { COMPONENT_PROVIDER_MODULE, createInstalledProgram } from "../harness/installed-program";
import type { ProgramDir } from "../harness/program-dir";
import { serializeProviderInProcess } from "../harness/serialize-provider";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18421;
const NAME = "serial-web";
const MODULE = COMPONENT_PROVIDER_MODULE;
const urn = dynamicResourceUrn("serial-web", "dev", "serialisation");

let program: ProgramDir;
let client: DynamicProviderClient;
let serialised = "";

function inputs(image: string) {
  return {
    ...sshNodeInputs(nodes),
    service: "serial",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    env: { TOKEN: "not-in-the-provider-text" },
    stopTimeout: 1,
    minUptime: 1,
  };
}

beforeAll(async () => {
  removeContainers(NAME);
  program = await createInstalledProgram();
  serialised = await serializeProviderInProcess({ cwd: program.dir, modulePath: MODULE });
  client = await startDynamicProvider({ cwd: program.dir, provider: serialised });
});

afterAll(async () => {
  await client?.close();
  await program?.remove();
  removeContainers(NAME);
});

describe("serialisation and the SDK's dynamic-provider process", () => {
  it("an installed pulumi-mcp serialises to a require of the package, not a copy of our code", () => {
    expect(serialised).toContain(`require("${MODULE}")`);
    expect(serialised).not.toContain("podman");
    expect(serialised).not.toContain("checkComponent");
    expect(serialised).not.toContain(readFileSync(nodes.node.privateKeyPath, "utf8").slice(40, 80));
  });

  it("round-trips check, diff, create, read, update and delete through the real process", async () => {
    onTestFailed(() => console.error(`dynamic provider stderr:\n${client.stderr()}`));
    const first = await client.check(urn, {}, inputs(nodes.images.v1));
    expect(first.failures).toEqual([]);
    const created = await client.create(urn, first.inputs);
    expect(created.id).toBe(`127.0.0.1:${nodes.node.port}/${NAME}`);
    expect(created.properties).toMatchObject({ version: "v1.0.0", state: "running" });
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v1.0.0");

    const same = await client.check(urn, created.properties, inputs(nodes.images.v1));
    expect((await client.diff(urn, created.id, created.properties, same.inputs)).changes).toBe(
      "DIFF_NONE",
    );

    const bumped = await client.check(urn, created.properties, inputs(nodes.images.v2));
    expect((await client.diff(urn, created.id, created.properties, bumped.inputs)).changes).toBe(
      "DIFF_SOME",
    );
    const updated = await client.update(urn, created.id, created.properties, bumped.inputs);
    expect(updated.properties).toMatchObject({ version: "v2.0.0" });
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`)).trim()).toBe("v2.0.0");

    const read = await client.read(urn, created.id, updated.properties);
    expect(read.id).toBe(created.id);
    expect(read.properties).toMatchObject({ image: nodes.images.v2, state: "running" });

    await client.delete(urn, created.id, updated.properties);
    expect(containerNames()).not.toContain(NAME);
  });

  it("check failures come back through the process naming the field and value", async () => {
    const result = await client.check(urn, {}, { ...inputs("127.0.0.1:5055/mcp-test/web:latest") });
    expect(result.failures.map((f) => f.reason).join("\n")).toMatch(
      /image = ".*:latest".*not pinned/,
    );
  });
});
