import { describe, expect, it } from "vitest";
import { specHash } from "../../provider/diff/spec-hash";
import { createWorkload, replaceWorkload } from "../../provider/runtime/deploy";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { FakeRuntime, liveWorkload } from "./fakes/fake-runtime";
import { validInputs } from "./fixtures";

const V1 = "mcr.example.net:8443/mcq:v1.0.0";
const V2 = "mcr.example.net:8443/mcq:v2.0.0";

/** `mcq-api` at an image; minUptime 0, so the first look at a running one counts as started. */
function specAt(image: string): ComponentSpec {
  const outcome = checkComponent(validInputs({ image, minUptime: 0, stopTimeout: 3 }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

/** A node where mcq-api runs v1 (and, when given, more workloads). */
function nodeRunningV1(...others: ReturnType<typeof liveWorkload>[]): FakeRuntime {
  const runtime = new FakeRuntime();
  for (const live of [liveWorkload("mcq-api", V1), ...others])
    runtime.workloads.set(live.name, live);
  return runtime;
}

function failureOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: Error) => error,
  );
}

const state = (runtime: FakeRuntime) =>
  Object.fromEntries(
    [...runtime.workloads.values()].map((w) => [w.name, `${w.version} ${w.state}`]),
  );

describe("progress lines", () => {
  it("a create says, for its workload, starting, waiting for readiness and done; a failed one no done", async () => {
    const runtime = new FakeRuntime();
    const lines: string[] = [];
    runtime.progress = (workload, step) => lines.push(`${workload}: ${step}`);
    await createWorkload(runtime, specAt(V1));
    expect(lines).toEqual([
      `mcq-api: starting ${V1}`,
      "mcq-api: waiting for readiness (up 0 s, at most 60 s)",
      expect.stringMatching(/^mcq-api: done: running v1\.0\.0 \(\d+\.\d s\)$/),
    ]);
    lines.length = 0;
    const crashing = new FakeRuntime();
    crashing.progress = runtime.progress;
    crashing.crashing.add(V2);
    await failureOf(createWorkload(crashing, specAt(V2)));
    expect(lines.some((line) => line.includes("done"))).toBe(false);
  });
});

describe("replaceWorkload (an update in place)", () => {
  it("pulls and looks first, sets the old one aside, starts the new one, then removes the old", async () => {
    const runtime = nodeRunningV1();
    const live = await replaceWorkload(runtime, specAt(V1), specAt(V2));
    expect(runtime.calls).toEqual([
      `pull ${V2}`,
      "inspect mcq-api",
      "inspect mcq-api-previous",
      "setAside mcq-api mcq-api-previous",
      `run mcq-api ${V2}`,
      "remove mcq-api-previous",
    ]);
    expect(live.image).toBe(V2);
    expect(state(runtime)).toEqual({ "mcq-api": "v2.0.0 running" });
  });

  it("a pull that fails touches nothing", async () => {
    const runtime = nodeRunningV1();
    runtime.failing.add(`pull ${V2}`);
    expect((await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)))).message).toBe(
      `pull ${V2} failed`,
    );
    expect(runtime.calls.filter((call) => !call.startsWith("inspect"))).toEqual([`pull ${V2}`]);
    expect(state(runtime)).toEqual({ "mcq-api": "v1.0.0 running" });
  });

  it("a new version that exits is removed with its log kept, and the old one put back running", async () => {
    const runtime = nodeRunningV1();
    runtime.crashing.add(V2);
    const error = await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)));
    expect(runtime.calls.slice(3)).toEqual([
      "setAside mcq-api mcq-api-previous",
      `run mcq-api ${V2}`,
      "logs mcq-api",
      "remove mcq-api",
      "remove mcq-api",
      "rename mcq-api-previous mcq-api",
      "start mcq-api",
    ]);
    expect(error.message).toMatch(
      new RegExp(
        `^update of mcq-api to ${V2} failed; rolled back to ${V1}\\.\nmcq-api exited with code 1 while starting\n--- last 50 lines of its log ---\nlog of mcq-api$`,
      ),
    );
    expect(state(runtime)).toEqual({ "mcq-api": "v1.0.0 running" });
  });

  it("an old one that was stopped is put back stopped", async () => {
    const runtime = new FakeRuntime();
    runtime.workloads.set("mcq-api", liveWorkload("mcq-api", V1, false));
    runtime.crashing.add(V2);
    await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)));
    expect(runtime.calls.at(-1)).toBe("rename mcq-api-previous mcq-api");
    expect(state(runtime)).toEqual({ "mcq-api": "v1.0.0 exited" });
  });

  it("recovers an update killed after setting the old one aside: puts it back first, then updates", async () => {
    const runtime = new FakeRuntime();
    runtime.workloads.set("mcq-api-previous", liveWorkload("mcq-api-previous", V1, false));
    await replaceWorkload(runtime, specAt(V1), specAt(V2));
    expect(runtime.calls.slice(3)).toEqual([
      "rename mcq-api-previous mcq-api",
      "setAside mcq-api mcq-api-previous",
      `run mcq-api ${V2}`,
      "remove mcq-api-previous",
    ]);
    expect(state(runtime)).toEqual({ "mcq-api": "v2.0.0 running" });
  });

  it("after such a recovery, a failing new version rolls back to the set-aside one, started", async () => {
    const runtime = new FakeRuntime();
    runtime.workloads.set("mcq-api-previous", liveWorkload("mcq-api-previous", V1, false));
    runtime.crashing.add(V2);
    const error = await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)));
    expect(error.message).toContain(`rolled back to ${V1}`);
    expect(runtime.calls.slice(-2)).toEqual(["rename mcq-api-previous mcq-api", "start mcq-api"]);
    expect(state(runtime)).toEqual({ "mcq-api": "v1.0.0 running" });
  });

  it("a leftover set-aside next to a current one is removed before setting the current aside", async () => {
    const runtime = nodeRunningV1(liveWorkload("mcq-api-previous", V1, false));
    await replaceWorkload(runtime, specAt(V1), specAt(V2));
    expect(runtime.calls.slice(3, 5)).toEqual([
      "remove mcq-api-previous",
      "setAside mcq-api mcq-api-previous",
    ]);
    expect(state(runtime)).toEqual({ "mcq-api": "v2.0.0 running" });
  });

  it("with nothing there at all, it simply creates", async () => {
    const runtime = new FakeRuntime();
    await replaceWorkload(runtime, specAt(V1), specAt(V2));
    expect(runtime.calls.slice(3)).toEqual([`run mcq-api ${V2}`]);
  });

  it("a failed rollback reports both errors and deletes nothing of the old one", async () => {
    const runtime = nodeRunningV1();
    runtime.crashing.add(V2);
    runtime.failing.add("rename mcq-api-previous mcq-api");
    const error = await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)));
    expect(error.message).toMatch(
      /^update of mcq-api to \S+ failed and ROLLBACK FAILED \(rename mcq-api-previous mcq-api failed\); the previous container may be left as mcq-api-previous\.\nmcq-api exited with code 1 while starting/,
    );
    expect(runtime.calls.filter((call) => call.includes("remove"))).toEqual([
      "remove mcq-api",
      "remove mcq-api",
    ]);
    expect(state(runtime)).toEqual({ "mcq-api-previous": "v1.0.0 exited" });
  });
});

describe("replaceWorkload on a runtime that pulls, looks and sets aside in its run (podman's)", () => {
  const looking = (runtime: FakeRuntime) => {
    runtime.looksFirst = true;
    return runtime;
  };

  it("one run call, then the removal of the old one; no separate pull or inspection", async () => {
    const runtime = looking(nodeRunningV1());
    // A readiness check to pass after the start: the old one is removed once it has.
    runtime.checkReady = async () => undefined;
    await replaceWorkload(runtime, specAt(V1), specAt(V2));
    expect(runtime.calls).toEqual([
      `pull+look ${V2} mcq-api`,
      "setAside mcq-api mcq-api-previous",
      `run mcq-api ${V2}`,
      "remove mcq-api-previous",
    ]);
    expect(state(runtime)).toEqual({ "mcq-api": "v2.0.0 running" });
  });

  it("started means running right after the start (minUptime 0, no checks): the run removes the old one too", async () => {
    const runtime = looking(nodeRunningV1());
    await replaceWorkload(runtime, specAt(V1), specAt(V2));
    expect(runtime.calls).toEqual([
      `pull+look ${V2} mcq-api`,
      "setAside mcq-api mcq-api-previous",
      `run mcq-api ${V2}`,
    ]);
    expect(state(runtime)).toEqual({ "mcq-api": "v2.0.0 running" });
    // One that exits at once keeps the old one set aside, and gets it back.
    const crashing = looking(nodeRunningV1());
    crashing.crashing.add(V2);
    await failureOf(replaceWorkload(crashing, specAt(V1), specAt(V2)));
    expect(state(crashing)).toEqual({ "mcq-api": "v1.0.0 running" });
  });

  it("a new version that exits is rolled back to what the look found, started as it was", async () => {
    const runtime = looking(nodeRunningV1());
    runtime.crashing.add(V2);
    const error = await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)));
    expect(error.message).toMatch(
      new RegExp(`^update of mcq-api to ${V2} failed; rolled back to ${V1}\\.`),
    );
    expect(runtime.calls.slice(-2)).toEqual(["rename mcq-api-previous mcq-api", "start mcq-api"]);
    expect(state(runtime)).toEqual({ "mcq-api": "v1.0.0 running" });
  });

  it("a pull or look that fails touches nothing and rolls nothing back", async () => {
    const runtime = looking(nodeRunningV1());
    runtime.failing.add(`pull+look ${V2} mcq-api`);
    expect((await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)))).message).toBe(
      `pull+look ${V2} mcq-api failed`,
    );
    expect(runtime.calls).toEqual([`pull+look ${V2} mcq-api`]);
    expect(state(runtime)).toEqual({ "mcq-api": "v1.0.0 running" });
  });

  it("an update interrupted after setting aside: the set-aside one is the old one (rollback starts it)", async () => {
    const runtime = looking(new FakeRuntime());
    runtime.workloads.set("mcq-api-previous", liveWorkload("mcq-api-previous", V1, false));
    runtime.crashing.add(V2);
    const error = await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)));
    expect(error.message).toContain(`rolled back to ${V1}`);
    expect(state(runtime)).toEqual({ "mcq-api": "v1.0.0 running" });
  });

  it("with nothing there, it creates and removes nothing after", async () => {
    const runtime = looking(new FakeRuntime());
    await replaceWorkload(runtime, specAt(V1), specAt(V2));
    expect(runtime.calls).toEqual([`pull+look ${V2} mcq-api`, `run mcq-api ${V2}`]);
    runtime.crashing.add(V2);
    runtime.workloads.clear();
    const error = await failureOf(replaceWorkload(runtime, specAt(V1), specAt(V2)));
    expect(error.message).toMatch(/^mcq-api exited with code 1 while starting/);
    expect(state(runtime)).toEqual({});
  });

  it("a create whose name is taken looks closer, as without the look: one made from this spec is kept", async () => {
    const runtime = looking(new FakeRuntime());
    const spec = specAt(V1);
    const existing = liveWorkload("mcq-api", V1);
    existing.labels = { "io.pulumi-mcp.spec-hash": specHash(spec) };
    runtime.workloads.set("mcq-api", existing);
    expect((await createWorkload(runtime, spec)).image).toBe(V1);
    // The look, then the closer look, then the wait's own look at it.
    expect(runtime.calls).toEqual([
      `pull+look ${V1} mcq-api`,
      `pull ${V1}`,
      "inspect mcq-api",
      "inspect mcq-api",
    ]);
    expect(runtime.calls.some((call) => call.startsWith("run"))).toBe(false);
  });
});

describe("createWorkload", () => {
  it("pulls and looks, then runs", async () => {
    const runtime = new FakeRuntime();
    expect((await createWorkload(runtime, specAt(V1))).image).toBe(V1);
    expect(runtime.calls).toEqual([`pull ${V1}`, "inspect mcq-api", `run mcq-api ${V1}`]);
  });

  it("adopts (and starts) a container made from exactly this spec, without running another", async () => {
    const runtime = new FakeRuntime();
    const mine = liveWorkload("mcq-api", V1, false);
    mine.labels = { "io.pulumi-mcp.spec-hash": specHash(specAt(V1)) };
    runtime.workloads.set("mcq-api", mine);
    await createWorkload(runtime, specAt(V1));
    expect(runtime.calls).toEqual([
      `pull ${V1}`,
      "inspect mcq-api",
      "start mcq-api",
      "inspect mcq-api",
    ]);
  });

  it("refuses a container of that name made otherwise, and leaves it alone", async () => {
    const runtime = nodeRunningV1();
    const error = await failureOf(createWorkload(runtime, specAt(V1)));
    expect(error.message).toMatch(
      /already exists on fake-node .* was not created from these inputs: set adopt: true/,
    );
    expect(runtime.calls).toEqual([`pull ${V1}`, "inspect mcq-api"]);
  });

  it("a new container that exits is removed, its log in the error", async () => {
    const runtime = new FakeRuntime();
    runtime.crashing.add(V1);
    const error = await failureOf(createWorkload(runtime, specAt(V1)));
    expect(error.message).toContain("--- last 50 lines of its log ---\nlog of mcq-api");
    expect(runtime.calls.slice(2)).toEqual([`run mcq-api ${V1}`, "logs mcq-api", "remove mcq-api"]);
    expect(state(runtime)).toEqual({});
  });
});
