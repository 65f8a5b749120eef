import { describe, expect, it } from "vitest";
import { ContainerRuntime } from "../../provider/runtime/container-runtime";
import { runSteps, StepFailed } from "../../provider/runtime/run-steps";
import { SetAsideFailed } from "../../provider/runtime/set-aside-failed";
import { checkComponent } from "../../provider/spec/check-component";
import type { CommandResult } from "../../provider/transport";
import { FakeTransport, ok, uniqueLabel } from "./fakes/fake-transport";
import { validInputs } from "./fixtures";

/** How the fake node answers a chained command: fails at `step` of it (its own numbering). */
const failAt = (step: number, stderr: string, exitCode = 125): CommandResult => ({
  exitCode,
  stdout: "",
  stderr: `${stderr}\npulumi-mcp: step failed: ${step}\n`,
});

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

describe("an update's set-aside and run in one command (ContainerRuntime)", () => {
  const outcome = checkComponent(validInputs({ minUptime: 0, volumes: [] }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  const spec = outcome.spec;
  const setAside = { to: "mcq-api-previous", timeoutSeconds: 1 };

  it("one channel: stop, rename, run and inspect", async () => {
    const transport = new FakeTransport(uniqueLabel(), () => ok('mcq-api\nid\n[{"Name":"x"}]'));
    await new ContainerRuntime(transport)
      .run(spec, "mcq-api", "h", setAside)
      .catch(() => undefined);
    expect(transport.commands).toHaveLength(1);
    expect(transport.commands[0]).toMatch(/podman stop .*podman rename .*podman run .*inspect/s);
  });

  it("a failed stop is SetAsideFailed and removes nothing (the old container keeps its name)", async () => {
    const transport = new FakeTransport(uniqueLabel(), (argv) =>
      argv.join(" ").includes("podman stop") ? failAt(0, "Error: cannot stop") : ok(),
    );
    const error = await new ContainerRuntime(transport)
      .run(spec, "mcq-api", "h", setAside)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetAsideFailed);
    expect((error as Error).message).toMatch(/^podman stop mcq-api failed \(exit 125\)/);
    expect(transport.commands.filter((c) => c.includes(" rm "))).toEqual([]);
  });

  it("a failed run after the set-aside removes the new container and is not SetAsideFailed", async () => {
    const transport = new FakeTransport(uniqueLabel(), (argv) =>
      argv.join(" ").includes("podman stop") ? failAt(2, "Error: port in use") : ok(),
    );
    const error = await new ContainerRuntime(transport)
      .run(spec, "mcq-api", "h", setAside)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as Error).message).toMatch(
      /^podman run mcq-api failed \(exit 125\): Error: port in use/,
    );
    expect(transport.commands.at(-1)).toMatch(/podman rm .*-- mcq-api$/);
  });

  it("an output that does not say how far it got: set aside only if the -previous exists", async () => {
    const transport = new FakeTransport(uniqueLabel(), (argv) =>
      argv.join(" ").includes("podman stop")
        ? { exitCode: 255, stdout: "", stderr: "" }
        : { exitCode: 125, stdout: "", stderr: "Error: no such container mcq-api-previous" },
    );
    const error = await new ContainerRuntime(transport)
      .run(spec, "mcq-api", "h", setAside)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SetAsideFailed);
    expect(transport.commands.filter((c) => c.includes(" rm "))).toEqual([]);
  });
});
