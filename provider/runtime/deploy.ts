import { LABELS } from "../commands/podman";
import { adoptionMismatches } from "../diff/adoption";
import { specHash } from "../diff/spec-hash";
import { type ComponentSpec, workloadName } from "../spec/component";
import { messageOf } from "../spec/message-of";
import { removeBootUnit, syncBootUnit } from "./boot-unit";
import { sweepSecretFiles } from "./container-secrets";
import { HealthWatch } from "./health";
import { NameTaken } from "./name-taken";
import { observedSpec } from "./observed-spec";
import { elapsed } from "./progress";
import { SetAsideFailed } from "./set-aside-failed";
import type { Found, LiveWorkload, SetAside, WorkloadRuntime } from "./types";

const LOG_TAIL_LINES = 50;
const POLL_MS = 250;

/** A failed deploy step, carrying the workload's log tail for the user. */
export class DeployError extends Error {
  constructor(message: string, logTail?: string) {
    super(
      logTail === undefined
        ? message
        : `${message}\n--- last ${LOG_TAIL_LINES} lines of its log ---\n${logTail || "(empty)"}`,
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
 * restart and is ready: its health check passed (probed from the start,
 * every `interval`), or, without one, the runtime's readiness check passes.
 * Fails at once when it exits or its health check has failed `retries`
 * times in a row, and after `startTimeout` otherwise.
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
  /** How long the last readiness check took: one that waited on the node paces the loop itself. */
  let checkMs = 0;
  let health: HealthWatch | undefined;
  // The state `run` saw right after starting counts as the first look.
  let known = justStarted;
  for (;;) {
    const live = known ?? (await runtime.inspect(name));
    known = undefined;
    if (!live) throw new DeployError(`${name} disappeared while starting`);
    const restarts = (live.restartCount ?? 0) - (first?.restartCount ?? live.restartCount ?? 0);
    if (restarts > 0) {
      throw new DeployError(`${name} crashed and was restarted ${restarts} time(s) while starting`);
    }
    first ??= live;
    if (live.running) {
      if (upSince === 0 || live.startedAt !== first.startedAt) upSince = Date.now();
      if (spec.healthcheck) {
        health ??= new HealthWatch(runtime.transport, spec, spec.healthcheck, name, upSince);
        if (health.untilDue() === 0) await health.probe();
        if (health.unhealthy) throw new DeployError(health.failure());
        notReady = health.notReady();
      }
      if (Date.now() - upSince >= spec.minUptime * 1000) {
        const checkStart = Date.now();
        if (!health) notReady = await notReadyReason(runtime, spec, name);
        if (notReady === undefined) return live;
        checkMs = Date.now() - checkStart;
      }
    } else if (["exited", "stopped", "dead"].includes(live.state)) {
      const how =
        live.exitCode === undefined
          ? `exited (${live.state}; its exit code is unknown: the runtime does not report one)`
          : `exited with code ${live.exitCode}`;
      throw new DeployError(`${name} ${how} while starting`);
    }
    if (Date.now() > deadline) {
      const why = notReady ? `not ready: ${notReady}` : `state ${live.state}`;
      const answers = health ? `\n${health.lastAnswers()}` : "";
      throw new DeployError(
        `${name} did not start within ${spec.startTimeout}s (${why})${answers}`,
      );
    }
    // Running but not up long enough: look again when it will have been (or the next
    // probe is due), not every poll — a crash meanwhile shows then as an exit or a
    // higher restart count.
    let untilUptime = live.running ? upSince + spec.minUptime * 1000 - Date.now() : 0;
    if (live.running && health && !health.healthy) untilUptime = health.untilDue();
    const poll = Math.max(0, POLL_MS - checkMs);
    checkMs = 0;
    await sleep(Math.min(Math.max(poll, untilUptime), Math.max(poll, deadline - Date.now())));
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
  const since = Date.now();
  runtime.progress?.(name, `starting ${spec.image}`);
  const justStarted = await runtime.run(spec, name, specHash(spec), setAside);
  try {
    runtime.progress?.(
      name,
      `waiting for readiness (up ${spec.minUptime} s, at most ${spec.startTimeout} s)`,
    );
    const live = await waitUntilStarted(runtime, name, spec, justStarted);
    runtime.progress?.(name, `done: ${live.state} ${live.version} (${elapsed(since)})`);
    return live;
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
 * refuses, naming each differing field, and touches nothing when not. A
 * health check must pass before it counts as taken over.
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
  // With a health check, taking it over is done only once it passes (nothing is touched if not).
  if (existing.running && !spec.healthcheck) return existing;
  if (!existing.running) await runtime.start(existing.name);
  return waitUntilStarted(runtime, existing.name, spec, existing.running ? existing : undefined);
}

/**
 * Creates a component: pull, run, wait until it stays running, then write
 * its boot unit. A workload of that name made from exactly this spec (a
 * create interrupted after it started) is taken over; with `adopt`, so is
 * one that matches the inputs (see adopt); any other is an error that names it.
 */
export async function createWorkload(
  runtime: WorkloadRuntime,
  spec: ComponentSpec,
): Promise<LiveWorkload> {
  const live = await startWorkload(runtime, spec);
  await syncBootUnit(runtime, spec);
  return live;
}

async function startWorkload(runtime: WorkloadRuntime, spec: ComponentSpec): Promise<LiveWorkload> {
  const name = workloadName(spec);
  // What this node's login cannot do as asked is refused before anything is touched.
  await runtime.preflight?.(spec);
  if (runtime.looksFirst) {
    // Pull, look and run in one round trip; a taken name is looked at closer below.
    try {
      return await runAndWait(runtime, spec, name);
    } catch (error) {
      if (!(error instanceof NameTaken)) throw error;
    }
  }
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
 * has stayed up, and is put back when it does not. Then the boot unit is
 * rewritten for the new one (a rollback keeps the old unit).
 */
export async function replaceWorkload(
  runtime: WorkloadRuntime,
  previousSpec: ComponentSpec,
  spec: ComponentSpec,
): Promise<LiveWorkload> {
  const live = await swapWorkload(runtime, previousSpec, spec);
  await syncBootUnit(runtime, spec, previousSpec);
  return live;
}

async function swapWorkload(
  runtime: WorkloadRuntime,
  previousSpec: ComponentSpec,
  spec: ComponentSpec,
): Promise<LiveWorkload> {
  const name = workloadName(spec);
  const previousName = `${name}-previous`;
  await runtime.preflight?.(spec);
  let found: Found = {};
  let removed = false;
  const setAside: SetAside = {
    to: previousName,
    timeoutSeconds: previousSpec.stopTimeout,
    found: (seen) => {
      found = seen;
    },
    // Started means running right after the start: the old one can go in the same round trip.
    removeOnceRunning: spec.minUptime === 0 && !spec.healthcheck && !runtime.checkReady,
    removed: () => {
      removed = true;
    },
  };
  // A runtime that looks itself does it all in the run's round trip; else look and tidy first.
  if (!runtime.looksFirst) {
    found = await lookAndTidy(runtime, spec, name, previousName);
    if (!found.old) return runAndWait(runtime, spec, name);
  }
  try {
    const live = await runAndWait(runtime, spec, name, setAside);
    if (found.old && !removed) await runtime.remove([previousName], 0);
    return live;
  } catch (error) {
    // The old workload was never moved: nothing to roll back.
    if (error instanceof SetAsideFailed) throw error.cause;
    // Nothing was there to set aside, or it is gone already (the new one is removed already).
    const old = found.old;
    if (!old || removed) throw error;
    const message = messageOf(error);
    try {
      await runtime.remove([name], 0);
      await runtime.rename(previousName, name);
      if (old.running) await runtime.start(name);
    } catch (rollbackError) {
      const why = messageOf(rollbackError);
      throw new DeployError(
        `update of ${name} to ${spec.image} failed and ROLLBACK FAILED (${why}); the previous container may be left as ${previousName}.\n${message}`,
      );
    }
    throw new DeployError(
      `update of ${name} to ${spec.image} failed; rolled back to ${old.image}.\n${message}`,
    );
  }
}

/**
 * Before an update, for a runtime that does not look itself: pulls (a bad tag
 * fails before anything is touched) and inspects the workload and its
 * set-aside name together (a batching runtime answers both in one round
 * trip). An update interrupted after setting the old workload aside gets it
 * put back first, so this attempt can roll back to it like any other; a
 * leftover set-aside next to a current one (an update that got further) is
 * removed.
 */
async function lookAndTidy(
  runtime: WorkloadRuntime,
  spec: ComponentSpec,
  name: string,
  previousName: string,
): Promise<Found> {
  const [, current, setAside] = await Promise.all([
    runtime.pull(spec),
    runtime.inspect(name),
    runtime.inspect(previousName),
  ]);
  if (!current) {
    if (!setAside) return {};
    await runtime.rename(previousName, name);
    return { old: { image: setAside.image, running: true } };
  }
  if (setAside) await runtime.remove([previousName], 0);
  return { old: { image: current.image, running: current.running } };
}

/**
 * Removes a component's workload, any set-aside `-previous` left by an
 * interrupted update, secret files an interrupted run left in podman, and
 * its boot unit (after the workload: a failed removal keeps both).
 */
export async function removeWorkload(runtime: WorkloadRuntime, spec: ComponentSpec): Promise<void> {
  const name = workloadName(spec);
  await runtime.remove([name, `${name}-previous`], spec.stopTimeout);
  await sweepSecretFiles(runtime.transport, spec, name);
  await removeBootUnit(runtime.transport, spec);
}

/**
 * Writes or removes only the boot unit (its ordering changed, refresh found
 * it missing or disabled, the node opted in or out). A workload that is gone
 * is deployed again as an update would.
 */
export async function syncBootUnitOnly(
  runtime: WorkloadRuntime,
  previousSpec: ComponentSpec,
  spec: ComponentSpec,
): Promise<LiveWorkload> {
  await runtime.preflight?.(spec);
  const live = await runtime.inspect(workloadName(spec));
  if (!live) return replaceWorkload(runtime, previousSpec, spec);
  await syncBootUnit(runtime, spec, previousSpec);
  return live;
}
