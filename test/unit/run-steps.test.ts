import { describe, expect, it } from "vitest";
import {
  inspectRemovingOnceRunning,
  LOOKED,
  NAME_TAKEN_EXIT,
  PREVIOUS_REMOVED,
} from "../../provider/commands/podman";
import { toCommandLine } from "../../provider/commands/quote";
import { ContainerRuntime } from "../../provider/runtime/container-runtime";
import { NameTaken } from "../../provider/runtime/name-taken";
import { runSteps, StepFailed } from "../../provider/runtime/run-steps";
import { SetAsideFailed } from "../../provider/runtime/set-aside-failed";
import type { Found } from "../../provider/runtime/types";
import { checkComponent } from "../../provider/spec/check-component";
import { type CommandResult, TransportError } from "../../provider/transport";
import { FakeTransport, ok, uniqueLabel } from "./fakes/fake-transport";
import { validInputs } from "./fixtures";

/** How the fake node answers a chained command: fails at `step` of it (its own numbering). */
const failAt = (step: number, stderr: string, exitCode = 125): CommandResult => ({
  exitCode,
  stdout: "",
  stderr: `${stderr}\npulumi-mcp: step failed: ${step}\n`,
});

/** A removal the runtime sent on its own (not the chain's own `podman rm` of a leftover). */
const REMOVAL = /^podman (--max-workers \d+ )?rm /;

const STEPS = [
  { what: "podman stop a", argv: ["podman", "stop", "a"] },
  { what: "podman rename a a-previous", argv: ["podman", "rename", "a", "a-previous"] },
  { what: "podman run a", argv: ["podman", "run", "a"] },
];

describe("runSteps: the steps of one change as one remote command", () => {
  it("names the step that failed, with podman's words and not the marker", async () => {
    const transport = new FakeTransport(uniqueLabel(), () => failAt(1, "Error: no such container"));
    const error = await runSteps(transport, STEPS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as StepFailed).step).toBe(1);
    expect((error as Error).message).toBe(
      "podman rename a a-previous failed (exit 125): Error: no such container",
    );
    expect(transport.commands).toHaveLength(1);
  });

  it("a transient podman failure resumes at that step, without repeating the ones done", async () => {
    const answers = [failAt(2, "Error: database is locked"), ok("id")];
    const transport = new FakeTransport(uniqueLabel(), () => answers.shift() ?? ok());
    const retried: number[] = [];
    const result = await runSteps(transport, STEPS, undefined, async (step) => {
      retried.push(step);
    });
    expect(result.stdout).toBe("id");
    expect(retried).toEqual([2]);
    expect(transport.commands).toHaveLength(2);
    expect(transport.commands[1]).not.toContain("podman stop");
    expect(transport.commands[1]).toContain("podman run a");
  });
});

describe("an update's pull, look, set-aside and run in one command (ContainerRuntime)", () => {
  const outcome = checkComponent(validInputs({ minUptime: 0, volumes: [] }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  const spec = outcome.spec;
  const LOOK = `pulumi-mcp: current running ${spec.image} ${spec.image}\n${LOOKED}\n`;
  let found: Found | undefined;
  let removed = false;
  const setAside = {
    to: "mcq-api-previous",
    timeoutSeconds: 1,
    found: (seen: Found) => {
      found = seen;
    },
    removed: () => {
      removed = true;
    },
  };
  const runtimeOn = (answer: (command: string) => CommandResult) => {
    found = undefined;
    removed = false;
    const transport = new FakeTransport(uniqueLabel(), (argv) => answer(argv.join(" ")));
    return { transport, runtime: new ContainerRuntime(transport) };
  };

  it("one channel: pull, look, stop, rename, run and inspect; a pull moments ago is not repeated", async () => {
    const { transport, runtime } = runtimeOn(() =>
      ok(
        `sha256:1\n1234\n${LOOK}id\n[{"Name":"mcq-api","State":{"Status":"running","Running":true}}]`,
      ),
    );
    const live = await runtime.run(spec, "mcq-api", "h", setAside);
    expect(live?.running).toBe(true);
    expect(transport.commands).toHaveLength(1);
    expect(transport.commands[0]).toMatch(
      /podman pull .*podman container inspect --format .*podman stop .*podman rename .*podman run .*inspect/s,
    );
    expect(found).toEqual({ old: { image: spec.image, running: true } });
    expect(removed).toBe(false);
    await runtime.run(spec, "mcq-api", "h", setAside);
    expect(transport.commands).toHaveLength(2);
    expect(transport.commands[1]).not.toContain("podman pull");
  });

  it("asked to, it removes the set-aside one in the same command once the new one runs, and says so", async () => {
    const { transport, runtime } = runtimeOn(() =>
      ok(
        `sha256:1\n1234\n${LOOK}id\n[\n{"Name":"mcq-api","State":{"Status":"running","Running":true}}\n]\n${PREVIOUS_REMOVED}\n`,
      ),
    );
    const live = await runtime.run(spec, "mcq-api", "h", { ...setAside, removeOnceRunning: true });
    expect(live?.running).toBe(true);
    expect(removed).toBe(true);
    expect(transport.commands).toHaveLength(1);
    expect(transport.commands[0]).toContain(
      toCommandLine(inspectRemovingOnceRunning("mcq-api", "mcq-api-previous")),
    );
  });

  it("runs on one node at once share the first one's pull: the others wait for it and do not pull", async () => {
    const { transport, runtime } = runtimeOn(() => ok(`sha256:1\n1234\n${LOOK}id\n[]`));
    await Promise.all([
      runtime.run(spec, "mcq-api", "h", setAside),
      runtime.run(spec, "mcq-web", "h", { ...setAside, to: "mcq-web-previous" }),
    ]);
    expect(transport.commands).toHaveLength(2);
    expect(transport.commands.filter((c) => c.includes("podman pull"))).toHaveLength(1);
    // A failed pull fails the runs waiting for it, touching nothing of theirs.
    const failing = runtimeOn(() => failAt(0, "Error: manifest unknown"));
    const [first, second] = await Promise.all(
      ["mcq-api", "mcq-web"].map((name) =>
        failing.runtime
          .run(spec, name, "h", { ...setAside, to: `${name}-previous` })
          .catch((e: unknown) => e),
      ),
    );
    expect(first).toBeInstanceOf(SetAsideFailed);
    expect(second).toBeInstanceOf(SetAsideFailed);
    expect((second as Error).message).toMatch(/^podman pull .* failed .*manifest unknown/);
    expect(failing.transport.commands).toHaveLength(1);
  });

  it("a failed look or set-aside is SetAsideFailed and removes nothing (the old container keeps its name)", async () => {
    const { transport, runtime } = runtimeOn(() => ({
      ...failAt(1, "Error: cannot stop"),
      stdout: `sha256:1\n1234\n${LOOK}`,
    }));
    const error = await runtime.run(spec, "mcq-api", "h", setAside).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetAsideFailed);
    expect((error as Error).message).toMatch(
      /^looking at mcq-api and setting it aside .* failed \(exit 125\)/,
    );
    expect(transport.commands).toHaveLength(1);
  });

  it("a bad tag fails at the pull, before the look, saying what the registry wanted", async () => {
    const { transport, runtime } = runtimeOn(() =>
      failAt(0, "Error: unauthorized: authentication required"),
    );
    const error = await runtime.run(spec, "mcq-api", "h", setAside).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetAsideFailed);
    expect((error as Error).message).toMatch(/^podman pull .* failed .*wants credentials/s);
    expect(transport.commands).toHaveLength(1);
    expect(found).toBeUndefined();
  });

  it("a failed run after the set-aside removes the new container, is not SetAsideFailed, and says what was found", async () => {
    const { transport, runtime } = runtimeOn((command) =>
      command.includes("podman run")
        ? { ...failAt(2, "Error: port in use"), stdout: `sha256:1\n1234\n${LOOK}` }
        : ok(),
    );
    const error = await runtime.run(spec, "mcq-api", "h", setAside).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as Error).message).toMatch(
      /^podman run mcq-api failed \(exit 125\): Error: port in use/,
    );
    expect(transport.commands.at(-1)).toMatch(/podman rm .*-- mcq-api$/);
    expect(found).toEqual({ old: { image: spec.image, running: true } });
  });

  it("a create whose name is taken is NameTaken and removes nothing", async () => {
    const { transport, runtime } = runtimeOn(() => ({
      exitCode: NAME_TAKEN_EXIT,
      stdout: `sha256:1\n1234\n${LOOK}`,
      stderr: "a container named mcq-api already exists\npulumi-mcp: step failed: 1\n",
    }));
    const error = await runtime.run(spec, "mcq-api", "h").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NameTaken);
    expect(transport.commands).toHaveLength(1);
  });

  it("an output that does not say how far it got: the new one is removed only when the look found the name free", async () => {
    const free = runtimeOn((command) =>
      command.includes("podman run")
        ? { exitCode: 137, stdout: `sha256:1\n1234\n${LOOKED}\n`, stderr: "" }
        : ok(),
    );
    expect(
      await free.runtime.run(spec, "mcq-api", "h", setAside).catch((e: unknown) => e),
    ).toBeInstanceOf(StepFailed);
    expect(free.transport.commands.at(-1)).toMatch(/podman rm .*-- mcq-api$/);
    expect(found).toEqual({});
    // Taken, and nothing under the set-aside name: not set aside, nothing touched.
    const taken = runtimeOn((command) =>
      command.includes("podman run")
        ? { exitCode: 137, stdout: `sha256:1\n1234\n${LOOK}`, stderr: "" }
        : { exitCode: 125, stdout: "", stderr: "Error: no such container mcq-api-previous" },
    );
    const error = await taken.runtime.run(spec, "mcq-api", "h", setAside).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetAsideFailed);
    expect(taken.transport.commands.filter((c) => REMOVAL.test(c))).toEqual([]);
  });

  it("a dropped connection: rolled back only when the old one is set aside and the name is free or the new one's", async () => {
    const inspected = (json: string) =>
      runtimeOn((command) => {
        if (command.includes("podman run")) throw new TransportError("connection lost", true);
        return { exitCode: 125, stdout: json, stderr: "Error: no such container mcq-api" };
      });
    const aside = inspected(
      `[{"Name":"mcq-api-previous","Config":{"Image":"old:v1","Labels":{}},"State":{"Status":"exited"}}]`,
    );
    expect(
      await aside.runtime.run(spec, "mcq-api", "h", setAside).catch((e: unknown) => e),
    ).toBeInstanceOf(TransportError);
    expect(found).toEqual({ old: { image: "old:v1", running: true } });
    // The name holds a container another spec made (the old one; the look did not get far).
    const old = inspected(
      `[{"Name":"mcq-api","Config":{"Image":"old:v1","Labels":{"io.pulumi-mcp.spec-hash":"old"}},"State":{"Status":"running","Running":true}},{"Name":"mcq-api-previous","Config":{"Image":"old:v0","Labels":{}},"State":{"Status":"exited"}}]`,
    );
    const error = await old.runtime.run(spec, "mcq-api", "h", setAside).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetAsideFailed);
    expect(old.transport.commands.filter((c) => REMOVAL.test(c))).toEqual([]);
  });
});
