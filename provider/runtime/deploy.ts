import { LABELS } from "../commands/podman";
import { adoptionMismatches } from "../diff/adoption";
import { specHash } from "../diff/spec-hash";
import { type ComponentSpec, workloadName } from "../spec/component";
import { messageOf } from "../spec/message-of";
import { sweepSecretFiles } from "./container-secrets";
import { observedSpec } from "./observed-spec";
import { SetAsideFailed } from "./set-aside-failed";
import type { LiveWorkload, SetAside, WorkloadRuntime } from "./types";

const LOG_TAIL_LINES = 50;
const POLL_MS = 250;

/** A failed deploy step, carrying the workload's log tail for the user. */
export class DeployError extends Error {
  constructor(message: string, logTail?: string) {
    super(
      logTail ? `${message}\n--- last ${LOG_TAIL_LINES} lines of its log ---\n${logTail}` : message,
    );
    this.name = "DeployError";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The runtime's own readiness check: undefined when ready, else why not. */
async function notReadyReason(
  runtime: WorkloadRuntime,
  spec: ComponentSpec,
  name: string,
): Promise<string | undefined> {
  if (!runtime.checkReady) return undefined;
  try {
    await runtime.checkReady(spec, name);
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

/**
 * Waits until the workload runs, has stayed up for `minUptime` without a
 * restart and passes the runtime's readiness check. Fails at once when it
 * exits, and after `startTimeout` otherwise.
 */
export async function waitUntilStarted(
  runtime: WorkloadRuntime,
  name: string,
  spec: ComponentSpec,
  justStarted?: LiveWorkload,
): Promise<LiveWorkload> {
  const deadline = Date.now() + spec.startTimeout * 1000;
  let first: LiveWorkload | undefined;
  let upSince = 0;
  let notReady: string | undefined;
  // The state `run` saw right after starting counts as the first look.
  let known = justStarted;
  for (;;) {
    const live = known ?? (await runtime.inspect(name));
    known = undefined;
    if (!live) throw new DeployError(`${name} disappeared while starting`);
    if (first && live.restartCount > first.restartCount) {
      throw new DeployError(
        `${name} crashed and was restarted ${live.restartCount - first.restartCount} time(s) while starting`,
      );
    }
    first ??= live;
    if (live.running) {
      if (upSince === 0 || live.startedAt !== first.startedAt) upSince = Date.now();
      if (Date.now() - upSince >= spec.minUptime * 1000) {
        notReady = await notReadyReason(runtime, spec, name);
        if (notReady === undefined) return live;
      }
    } else if (["exited", "stopped", "dead"].includes(live.state)) {
      throw new DeployError(`${name} exited with code ${live.exitCode} while starting`);
    }
    if (Date.now() > deadline) {
      const why = notReady ? `not ready: ${notReady}` : `state ${live.state}`;
      throw new DeployError(`${name} did not start within ${spec.startTimeout}s (${why})`);
    }
    // Running but not up long enough: look again when it will have been, not every
    // poll — a crash meanwhile shows then as an exit or a higher restart count.
    const untilUptime = live.running ? upSince + spec.minUptime * 1000 - Date.now() : 0;
    await sleep(Math.min(Math.max(POLL_MS, untilUptime), Math.max(POLL_MS, deadline - Date.now())));
  }
}

async function logTail(runtime: WorkloadRuntime, name: string): Promise<string> {
  try {
    return await runtime.logs(name, LOG_TAIL_LINES);
  } catch (error) {
    return `(log unavailable: ${messageOf(error)})`;
  }
}

/**
 * Starts a new workload under `name` (for an update, after setting the old one
 * aside, in the same round trip where the runtime can); on failure removes it
 * and throws with its log tail.
 */
async function runAndWait(
  runtime: WorkloadRuntime,
  spec: ComponentSpec,
  name: string,
  setAside?: SetAside,
): Promise<LiveWorkload> {
  const justStarted = await runtime.run(spec, name, specHash(spec), setAside);
  try {
    return await waitUntilStarted(runtime, name, spec, justStarted);
  } catch (error) {
    const tail = await logTail(runtime, name);
    let message = messageOf(error);
    try {
      await runtime.remove([name], 0);
    } catch (cleanupError) {
      const why = messageOf(cleanupError);
      message += `\n(and the failed ${name} could not be removed: ${why})`;
    }
    throw new DeployError(message, tail);
  }
}

/**
 * Takes over a workload of the component's name that already runs (made by
 * hand or by MCP) without restarting it, when it matches the inputs;
 * refuses, naming each differing field, and touches nothing when not.
 */
async function adopt(
  runtime: WorkloadRuntime,
  spec: ComponentSpec,
  existing: LiveWorkload,
): Promise<LiveWorkload> {
  const mismatches = adoptionMismatches(
    spec,
    observedSpec(spec, existing),
    existing.labels[LABELS.specHash],
  );
  if (mismatches.length > 0) {
    throw new DeployError(
      `cannot adopt ${existing.name} on ${runtime.transport.label}: what runs differs from the inputs (nothing was changed):\n  ${mismatches.join("\n  ")}`,
    );
  }
  if (existing.running) return existing;
  await runtime.start(existing.name);
  return waitUntilStarted(runtime, existing.name, spec);
}

/**
 * Creates a component: pull, run, wait until it stays running. A workload
 * of that name made from exactly this spec (a create interrupted after it
 * started) is taken over; with `adopt`, so is one that matches the inputs
 * (see adopt); any other is an error that names it.
 */
export async function createWorkload(
  runtime: WorkloadRuntime,
  spec: ComponentSpec,
): Promise<LiveWorkload> {
  const name = workloadName(spec);
  // What this node's login cannot do as asked is refused before anything is touched.
  await runtime.preflight?.(spec);
  // The pull fails a bad tag before anything is touched; the inspect only looks.
  const [, existing] = await Promise.all([runtime.pull(spec), runtime.inspect(name)]);
  if (!existing) return runAndWait(runtime, spec, name);
  if (existing.labels[LABELS.specHash] === specHash(spec)) {
    if (!existing.running) await runtime.start(name);
    return waitUntilStarted(runtime, name, spec);
  }
  if (spec.adopt) return adopt(runtime, spec, existing);
  throw new DeployError(
    `a ${existing.runtime === "unikernel" ? "VM" : "container"} named ${name} already exists on ${runtime.transport.label} (image ${existing.image}, ${existing.state}) and was not created from these inputs: set adopt: true to take it over without restarting it (it must match the inputs), or remove it`,
  );
}

/**
 * Replaces the running workload with a new spec under the same name. The new
 * image is pulled first, so a bad tag fails before anything is touched; the
 * old container is stopped and kept as `<name>-previous` until the new one
 * has stayed up, and is put back when it does not.
 */
export async function replaceWorkload(
  runtime: WorkloadRuntime,
  previousSpec: ComponentSpec,
  spec: ComponentSpec,
): Promise<LiveWorkload> {
  const name = workloadName(spec);
  const previousName = `${name}-previous`;
  await runtime.preflight?.(spec);
  // Asked together, so a batching runtime answers both inspections in one round
  // trip, while the pull fails a bad tag before anything is touched.
  let [, current, setAside] = await Promise.all([
    runtime.pull(spec),
    runtime.inspect(name),
    runtime.inspect(previousName),
  ]);
  // The old workload was serving: if the new one fails, start it again.
  let wasServing = current?.running === true;
  if (!current) {
    // An update interrupted after the old workload was set aside: put it back first,
    // so this attempt can roll back to it like any other.
    if (!setAside) return runAndWait(runtime, spec, name);
    await runtime.rename(previousName, name);
    current = setAside;
    setAside = undefined;
    wasServing = true;
  }
  // A leftover of an interrupted update that got further than setting aside.
  if (setAside) await runtime.remove([previousName], 0);
  try {
    const live = await runAndWait(runtime, spec, name, {
      to: previousName,
      timeoutSeconds: previousSpec.stopTimeout,
    });
    await runtime.remove([previousName], 0);
    return live;
  } catch (error) {
    // The old workload was never moved: nothing to roll back.
    if (error instanceof SetAsideFailed) throw error.cause;
    const message = messageOf(error);
    try {
      await runtime.remove([name], 0);
      await runtime.rename(previousName, name);
      if (wasServing) await runtime.start(name);
    } catch (rollbackError) {
      const why = messageOf(rollbackError);
      throw new DeployError(
        `update of ${name} to ${spec.image} failed and ROLLBACK FAILED (${why}); the previous container may be left as ${previousName}.\n${message}`,
      );
    }
    throw new DeployError(
      `update of ${name} to ${spec.image} failed; rolled back to ${current.image}.\n${message}`,
    );
  }
}

/**
 * Removes a component's workload, any set-aside `-previous` left by an
 * interrupted update, and secret files an interrupted run left in podman.
 */
export async function removeWorkload(runtime: WorkloadRuntime, spec: ComponentSpec): Promise<void> {
  const name = workloadName(spec);
  await runtime.remove([name, `${name}-previous`], spec.stopTimeout);
  await sweepSecretFiles(runtime.transport, spec, name);
}
