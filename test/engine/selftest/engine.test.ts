// Self-test of the TEST ENGINE (test/engine) with a fake provider that only writes a log: the
// engine's step logic (create, same, update, create-first and delete-first replacement, deletes
// of undeclared resources in reverse order, partial creates, refresh, destroy), secrets in
// state, preview touching nothing, and failing on provider errors and unhandled rejections.
// The program is plain JavaScript run through the SDK's language entry, as in every engine run.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProgramDir, type ProgramDir } from "../../harness/program-dir";
import { isSecret } from "../../harness/struct-values";
import { EngineRunError, formatPreview, loadState, type RunSummary, runPulumi } from "..";
import type { Operation } from "../types";

interface Planned {
  name: string;
  zone: string;
  value?: string;
  dependsOn?: string[];
  dbr?: boolean;
  failPartial?: boolean;
  secret?: boolean;
  secretOutputs?: string[];
}

const TOKEN = "tok-5e3f9a-not-in-state";
let program: ProgramDir;
let stateFile: string;
let logFile: string;

beforeAll(async () => {
  program = await createProgramDir({
    packages: { "engine-fake-provider": path.join(__dirname, "fake-provider") },
  });
  for (const file of ["Pulumi.yaml", "package.json", "index.js"]) {
    writeFileSync(
      path.join(program.dir, file),
      readFileSync(path.join(__dirname, "program", file)),
    );
  }
  stateFile = path.join(program.dir, "state", "selftest.json");
  logFile = path.join(program.dir, "provider.log");
  writeFileSync(logFile, "");
});

afterAll(async () => {
  await program?.remove();
});

function run(operation: Operation, plan: Planned[], extra: Record<string, string> = {}) {
  return runPulumi({
    programDir: program.dir,
    project: "engine-selftest",
    stack: "selftest",
    config: { log: logFile, plan: JSON.stringify(plan), token: { secret: TOKEN }, ...extra },
    stateFile,
    operation,
    typescript: false,
    timeoutMs: 60_000,
  });
}

/** The provider's log lines since the last call. */
let seen = 0;
function calls(): string[] {
  const lines = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
  const fresh = lines.slice(seen);
  seen = lines.length;
  return fresh.map((line) => {
    const { op, name, zone } = JSON.parse(line) as { op: string; name: string; zone: string };
    return `${op} ${name}@${zone}`;
  });
}

function ops(summary: RunSummary): Record<string, string> {
  return Object.fromEntries(summary.resources.filter((r) => r.custom).map((r) => [r.name, r.op]));
}

const base: Planned[] = [
  { name: "a", zone: "z1" },
  { name: "b", zone: "z1", dependsOn: ["a"] },
  { name: "c", zone: "z1", secret: true, secretOutputs: ["echoToken"] },
];

describe("the test engine, with a fake provider", () => {
  it("up creates in order and keeps secrets out of the state file", async () => {
    const summary = await run("up", base);
    expect(ops(summary)).toEqual({ a: "create", b: "create", c: "create" });
    // Registrations run concurrently, as in the engine: b waits for a, c for nothing.
    const created = calls();
    expect([...created].sort()).toEqual(["create a@z1", "create b@z1", "create c@z1"]);
    expect(created.indexOf("create a@z1")).toBeLessThan(created.indexOf("create b@z1"));
    expect(summary.outputs).toEqual({ a: "z1", b: "z1", c: "z1" });
    const text = readFileSync(stateFile, "utf8");
    expect(text).not.toContain(TOKEN);
    const c = loadState(stateFile, "engine-selftest", "selftest").resources.find(
      (r) => r.id === "c-z1",
    );
    expect(isSecret(c?.inputs.token)).toBe(true);
    expect(isSecret(c?.outputs.token)).toBe(true); // same name as a secret input
    expect(isSecret(c?.outputs.echoToken)).toBe(true); // additionalSecretOutputs
    expect(isSecret(c?.outputs.zone)).toBe(false);
    const b = loadState(stateFile, "engine-selftest", "selftest").resources.find(
      (r) => r.id === "b-z1",
    );
    expect(b?.dependencies).toContain(
      "urn:pulumi:selftest::engine-selftest::pulumi-nodejs:dynamic/selftest:Fake::a",
    );
  });

  it("up again is all same and calls nothing", async () => {
    expect(ops(await run("up", base))).toEqual({ a: "same", b: "same", c: "same" });
    expect(calls()).toEqual([]);
  });

  it("preview shows updates and replacements and calls nothing", async () => {
    const before = readFileSync(stateFile, "utf8");
    const plan = [
      { ...base[0], zone: "z2" } as Planned,
      { ...base[1], value: "w" } as Planned,
      base[2] as Planned,
    ];
    const summary = await run("preview", plan);
    expect(ops(summary)).toEqual({ a: "replace", b: "update", c: "same" });
    const b = summary.resources.find((r) => r.name === "b");
    expect(b?.changes).toEqual([
      { name: "value", kind: "update", old: "v", new: "w", secret: false },
    ]);
    expect(formatPreview(summary)).toContain(
      "+- pulumi-nodejs:dynamic/selftest:Fake a replace [diff: ~zone] [replace: zone]",
    );
    expect(calls()).toEqual([]);
    expect(readFileSync(stateFile, "utf8")).toBe(before);
  });

  it("replaces create-first by default, deleting the old one after the program", async () => {
    const plan = [{ ...base[0], zone: "z2" } as Planned, base[1] as Planned, base[2] as Planned];
    expect(ops(await run("up", plan))).toEqual({ a: "replace", b: "same", c: "same" });
    expect(calls()).toEqual(["create a@z2", "delete a@z1"]);
    const state = loadState(stateFile, "engine-selftest", "selftest");
    const ids = state.resources.filter((r) => r.custom).map((r) => r.id);
    expect([...ids].sort()).toEqual(["a-z2", "b-z1", "c-z1"]);
    expect(ids.indexOf("a-z2")).toBeLessThan(ids.indexOf("b-z1"));
  });

  it("replaces delete-first when the provider asks for it", async () => {
    const plan = [
      { ...base[0], zone: "z2" } as Planned,
      { ...base[1], zone: "z2", dbr: true } as Planned,
      base[2] as Planned,
    ];
    expect(ops(await run("up", plan))).toEqual({ a: "same", b: "replace", c: "same" });
    expect(calls()).toEqual(["delete b@z1", "create b@z2"]);
  });

  it("deletes what the program no longer declares, dependents first", async () => {
    const summary = await run("up", [base[2] as Planned]);
    expect(ops(summary)).toEqual({ c: "same", b: "delete", a: "delete" });
    expect(calls()).toEqual(["delete b@z2", "delete a@z2"]);
  });

  it("fails on a check failure with the provider's message, creating nothing", async () => {
    const failing = await run("up", [base[2] as Planned, { name: "x", zone: "invalid" }]).catch(
      (e: unknown) => e,
    );
    expect(error(failing)).toContain('zone: zone = "invalid" is not a zone');
    expect(calls()).toEqual([]);
  });

  it("records a partial create and updates it on the next up", async () => {
    const failing = await run("up", [
      base[2] as Planned,
      { name: "p", zone: "z1", failPartial: true },
    ]).catch((e: unknown) => e);
    expect(error(failing)).toContain("p was created but did not start");
    const p = loadState(stateFile, "engine-selftest", "selftest").resources.find(
      (r) => r.id === "p-z1",
    );
    expect(p?.initErrors).toEqual(["did not start"]);
    calls();
    const summary = await run("up", [base[2] as Planned, { name: "p", zone: "z1" }]);
    expect(ops(summary)).toEqual({ c: "same", p: "update" });
    expect(calls()).toEqual(["update p@z1"]);
  });

  it("refresh reads every resource and drops the ones that are gone", async () => {
    writeFileSync(`${logFile}.gone.p`, "");
    const summary = await run("refresh", []);
    expect(ops(summary)).toEqual({ c: "read", p: "delete" });
    const c = summary.resources.find((r) => r.name === "c");
    expect(c?.changes).toContainEqual({
      name: "value",
      kind: "update",
      old: "v",
      new: "v-observed",
      secret: false,
    });
    expect(c?.changes.map((change) => change.name)).not.toContain("token"); // unchanged secret
    const ids = loadState(stateFile, "engine-selftest", "selftest").resources.map((r) => r.id);
    expect(ids).toEqual(["", "c-z1"]);
    expect(readFileSync(stateFile, "utf8")).not.toContain(TOKEN);
  });

  it("fails the run on an unhandled rejection in the program", async () => {
    const failing = await run("up", [base[2] as Planned], { reject: "true" }).catch(
      (e: unknown) => e,
    );
    expect(error(failing)).toContain("an unhandled rejection in the program");
    // The refresh saw drift (value "v-observed"): c's update ran while the program failed.
    expect(calls()).toEqual(["update c@z1"]);
  });

  it("destroy deletes everything in reverse order", async () => {
    const summary = await run("destroy", []);
    expect(summary.resources.map((r) => `${r.op} ${r.name}`)).toEqual([
      "delete c",
      "delete engine-selftest-selftest",
    ]);
    expect(calls()).toEqual(["delete c@z1"]);
    expect(loadState(stateFile, "engine-selftest", "selftest").resources).toEqual([]);
    expect(existsSync(`${stateFile}.key`)).toBe(true);
  });
});

function error(value: unknown): string {
  expect(value).toBeInstanceOf(EngineRunError);
  return (value as EngineRunError).message;
}
