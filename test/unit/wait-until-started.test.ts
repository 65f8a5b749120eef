import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { waitUntilStarted } from "../../provider/runtime/deploy";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { FakeRuntime, liveWorkload } from "./fakes/fake-runtime";
import { validInputs } from "./fixtures";

const IMAGE = "mcr.example.net:8443/mcq:v1.0.0";

function spec(minUptime: number, startTimeout: number): ComponentSpec {
  const outcome = checkComponent(validInputs({ image: IMAGE, minUptime, startTimeout }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

/** A node with mcq-api in the given state; the wait starts from that first look. */
function nodeWith(running: boolean, state = running ? "running" : "exited") {
  const runtime = new FakeRuntime();
  const live = { ...liveWorkload("mcq-api", IMAGE, running), state };
  runtime.workloads.set("mcq-api", live);
  return { runtime, live };
}

/** Settles `promise` as time runs on, reporting when (in fake ms) it did. */
async function settleWithin<T>(promise: Promise<T>, ms: number) {
  const start = Date.now();
  const outcome = promise.then(
    (value) => ({ at: Date.now() - start, value, error: undefined }),
    (error: Error) => ({ at: Date.now() - start, value: undefined, error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  return outcome;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("waitUntilStarted", () => {
  it("returns once it has stayed up minUptime, looking again only then", async () => {
    const { runtime, live } = nodeWith(true);
    const outcome = await settleWithin(
      waitUntilStarted(runtime, "mcq-api", spec(2, 60), { ...live }),
      5_000,
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.at).toBe(2_000);
    expect(runtime.calls).toEqual(["inspect mcq-api"]);
  });

  it("fails when it was restarted while starting", async () => {
    const { runtime, live } = nodeWith(true);
    const waiting = waitUntilStarted(runtime, "mcq-api", spec(2, 60), { ...live });
    Object.assign(live, { restartCount: 1, startedAt: "later" });
    const outcome = await settleWithin(waiting, 5_000);
    expect(outcome.error?.message).toBe(
      "mcq-api crashed and was restarted 1 time(s) while starting",
    );
  });

  it("fails at once when it exits, and when it is gone", async () => {
    const exited = nodeWith(false);
    const gone = new FakeRuntime();
    const [one, two] = await Promise.all([
      settleWithin(waitUntilStarted(exited.runtime, "mcq-api", spec(2, 60)), 0),
      settleWithin(waitUntilStarted(gone, "mcq-api", spec(2, 60)), 0),
    ]);
    expect([one.at, one.error?.message]).toEqual([0, "mcq-api exited with code 1 while starting"]);
    expect(two.error?.message).toBe("mcq-api disappeared while starting");
  });

  it("says the exit code is unknown when the runtime does not tell it (a VM), never a made-up one", async () => {
    const { runtime, live } = nodeWith(false);
    delete live.exitCode;
    delete live.restartCount;
    const outcome = await settleWithin(waitUntilStarted(runtime, "mcq-api", spec(2, 60)), 0);
    expect(outcome.error?.message).toBe(
      "mcq-api exited (exited; its exit code is unknown: the runtime does not report one) while starting",
    );
  });

  it("returns as soon as the readiness check passes, with no poll in between", async () => {
    const { runtime, live } = nodeWith(true);
    runtime.checkReady = async () => undefined;
    const outcome = await settleWithin(
      waitUntilStarted(runtime, "mcq-api", spec(0, 60), { ...live }),
      1_000,
    );
    expect([outcome.error, outcome.at]).toEqual([undefined, 0]);
    expect(runtime.calls).toEqual([]);
  });

  it("gives up after startTimeout, saying the state it was in", async () => {
    const { runtime } = nodeWith(false, "created");
    const outcome = await settleWithin(waitUntilStarted(runtime, "mcq-api", spec(0, 3)), 5_000);
    expect(outcome.error?.message).toBe("mcq-api did not start within 3s (state created)");
    expect(outcome.at).toBeGreaterThan(3_000);
    expect(outcome.at).toBeLessThan(3_500);
  });

  it("waits for the runtime's readiness check, and names why it never passed", async () => {
    const { runtime, live } = nodeWith(true);
    let tries = 0;
    runtime.checkReady = async () => {
      tries += 1;
      throw new Error("port 8443 does not answer");
    };
    const outcome = await settleWithin(
      waitUntilStarted(runtime, "mcq-api", spec(0, 2), { ...live }),
      5_000,
    );
    expect(outcome.error?.message).toBe(
      "mcq-api did not start within 2s (not ready: port 8443 does not answer)",
    );
    expect(tries).toBeGreaterThan(1);
  });
});
