// Self-test of the test harness (test/harness): the fake installed package "echo-provider" is
// serialised in a plain node process and driven through @pulumi/pulumi's real dynamic-provider
// process over gRPC. What the harness does not cover is listed in dynamic-provider-process.ts.

import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, onTestFailed, test } from "vitest";
import {
  type DynamicProviderClient,
  dynamicResourceUrn,
  startDynamicProvider,
} from "../harness/dynamic-provider-process";
import { createProgramDir, type ProgramDir } from "../harness/program-dir";
import { DynamicProviderError } from "../harness/provider-error";
import { serializeProviderInProcess } from "../harness/serialize-provider";
import { PROVIDER_KEY, secret } from "../harness/struct-values";

const ECHO_PACKAGE = path.join(__dirname, "echo-provider");
const REQUIRE_ECHO = 'const provider = require("echo-provider/index.js");';

let program: ProgramDir;
let echoProvider: Promise<string> | undefined;
const clients: DynamicProviderClient[] = [];

beforeAll(async () => {
  program = await createProgramDir({
    packages: { "echo-provider": ECHO_PACKAGE },
    files: { "lib/echo.js": await readFile(path.join(ECHO_PACKAGE, "index.js"), "utf8") },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await program?.remove();
});

async function start(provider: string): Promise<DynamicProviderClient> {
  const client = await startDynamicProvider({
    cwd: program.dir,
    provider,
    config: { "selftest:greeting": "hi", "selftest:token": secret("s3cret") },
  });
  clients.push(client);
  onTestFailed(() => {
    console.error(`dynamic provider stderr:\n${client.stderr()}\nstdout:\n${client.stdout()}`);
  });
  return client;
}

function serialize(modulePath: string, extra: { exportName?: string } = {}) {
  return serializeProviderInProcess({ cwd: program.dir, modulePath, ...extra });
}

/** The `__provider` text of the installed echo-provider, serialised once. */
function serializedEcho(): Promise<string> {
  echoProvider ??= serialize("echo-provider");
  return echoProvider;
}

async function expectProviderError(call: Promise<unknown>): Promise<DynamicProviderError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof DynamicProviderError) return err;
  throw new Error(`expected a DynamicProviderError, got ${String(err)}`);
}

describe("serialize-provider (plain node process)", () => {
  test("an installed package's module.exports serialises to a require, not a copy", async () => {
    const [viaResource, viaFunction] = await Promise.all([
      serializedEcho(),
      serializeProviderInProcess({
        cwd: program.dir,
        modulePath: "echo-provider",
        via: "serializeFunction",
      }),
    ]);
    expect(viaResource).toContain(REQUIRE_ECHO);
    expect(viaResource).not.toContain("pid: process.pid");
    expect(viaFunction).toBe(viaResource);
  });

  test("the same code reached by a relative path is copied by value", async () => {
    const text = await serialize("./lib/echo.js");
    expect(text).not.toContain('require("echo-provider');
    expect(text).toContain("pid: process.pid");
  });

  test("named exports: another module's exports is a require, an object literal is copied", async () => {
    const [reexported, inline] = await Promise.all([
      serialize("echo-provider/named.js", { exportName: "reexported" }),
      serialize("echo-provider/named.js", { exportName: "inline" }),
    ]);
    expect(reexported).toContain(REQUIRE_ECHO);
    expect(inline).not.toContain('require("echo-provider');
    expect(inline).toContain('id: "inline"');
  });

  test("a module that cannot be found fails loudly", async () => {
    await expect(serialize("no-such-provider")).rejects.toThrow(/Cannot find module/);
  });
});

describe("dynamic-provider process", () => {
  test("check/diff/create/update/read/delete round-trip in another process", async () => {
    const provider = await serializedEcho();
    const client = await start(provider);
    expect(client.pid).not.toBe(process.pid);
    expect(client.acceptsSecrets).toBe(false);
    const urn = dynamicResourceUrn("echo");

    const bad = await client.check(urn, {}, { message: 42 });
    expect(bad.failures).toEqual([{ property: "message", reason: "message must be a string" }]);

    const checked = await client.check(
      urn,
      {},
      { message: "hello", size: 1, password: secret("pw") },
    );
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toMatchObject({ message: "hello", checked: true, password: "pw" });
    expect(checked.inputs[PROVIDER_KEY]).toBe(provider);

    const created = await client.create(urn, checked.inputs);
    expect(created.id).toBe("echo-hello");
    const pid = created.properties.pid;
    expect(pid).toBe(client.pid);
    expect(pid).not.toBe(process.pid);
    expect(created.properties).toMatchObject({
      greeting: "hi",
      tokenSeen: true,
      passwordType: "string",
    });
    expect(created.properties[PROVIDER_KEY]).toBe(provider);

    const same = await client.diff(urn, created.id, created.properties, checked.inputs);
    expect(same).toMatchObject({ changes: "DIFF_NONE", replaces: [], deleteBeforeReplace: false });
    const news = (await client.check(urn, checked.inputs, { message: "bye", size: 1 })).inputs;
    const changed = await client.diff(urn, created.id, created.properties, news);
    expect(changed).toMatchObject({ changes: "DIFF_SOME", replaces: [] });
    const resized = await client.diff(urn, created.id, created.properties, { ...news, size: 2 });
    expect(resized).toMatchObject({ replaces: ["size"], deleteBeforeReplace: true });

    const updated = await client.update(urn, created.id, created.properties, news);
    expect(updated.properties).toMatchObject({ message: "bye", updatedFrom: "hello", pid });

    const read = await client.read(urn, created.id, updated.properties);
    expect(read.id).toBe(created.id);
    expect(read.properties).toMatchObject({ message: "bye", readPid: pid });
    expect(read.inputs).toEqual({ message: "bye", [PROVIDER_KEY]: provider });
    expect((await client.read(urn, "echo-gone", updated.properties)).id).toBe("");

    const marker = path.join(program.dir, "deleted.txt");
    await client.delete(urn, created.id, { ...updated.properties, deleteMarker: marker });
    expect(await readFile(marker, "utf8")).toBe(`echo-hello ${pid}`);
  });

  test("a provider copied by value also runs there", async () => {
    const client = await start(await serialize("./lib/echo.js"));
    const created = await client.create(dynamicResourceUrn("copy"), { message: "copied" });
    expect(created.properties).toMatchObject({ pid: client.pid, greeting: "hi" });
  });

  test("thrown errors come back with their message; partial creates keep their details", async () => {
    const client = await start(await serializedEcho());
    const urn = dynamicResourceUrn("failing");

    const failed = await expectProviderError(client.create(urn, { failWith: "node unreachable" }));
    expect(failed).toMatchObject({ message: "node unreachable", code: 2, method: "create" });
    expect(failed.initFailure).toBeUndefined();

    const partial = await expectProviderError(client.create(urn, { message: "m", partial: true }));
    expect(partial.message).toBe("half made");
    expect(partial.initFailure).toEqual({
      id: "echo-partial",
      properties: { message: "m", state: "broken" },
      reasons: ["did not become ready"],
    });

    const del = await expectProviderError(client.delete(urn, "echo-x", { failDelete: true }));
    expect(del).toMatchObject({ message: "cannot delete echo-x", code: 2, method: "delete" });
    expect(client.stderr()).toContain("cannot delete echo-x");

    // The SDK's Struct conversion rejects `undefined` in a provider's outputs.
    const undef = await expectProviderError(
      client.create(urn, { message: "u", undefinedOutput: true }),
    );
    expect(undef.message).toBe("Unexpected struct type.");
  });
});
