import {
  bootUnitStates,
  bootUnitText,
  installBootUnit,
  removeBootUnits,
  type UnitScope,
  unitName,
} from "../commands/systemd-unit";
import { type BootUnitState, type ComponentSpec, workloadName } from "../spec/component";
import type { Transport } from "../transport";
import { ensureSuccess } from "./command-error";
import { nodeBatcher } from "./node-batch";
import { nodeFacts } from "./node-preflight";
import type { WorkloadRuntime } from "./types";

/** Root (and sudo) logins use the system instance; any other login its user instance. */
async function scopeOf(transport: Transport): Promise<UnitScope> {
  return (await nodeFacts(transport)).rootless ? "user" : "system";
}

/**
 * Makes the node's boot unit for the workload what the spec wants: written
 * (replacing the old text) and enabled when `bootUnit` is "enabled", removed
 * otherwise. Nodes that opted out (`bootPersistence: false`, now and before)
 * are not asked anything.
 */
export async function syncBootUnit(
  runtime: WorkloadRuntime,
  spec: ComponentSpec,
  previous?: ComponentSpec,
): Promise<void> {
  if (!spec.node.bootPersistence && !previous?.node.bootPersistence) return;
  const name = workloadName(spec);
  const scope = await scopeOf(runtime.transport);
  if (spec.bootUnit !== "enabled") {
    ensureSuccess(
      `removing the boot unit ${unitName(name)}`,
      await runtime.transport.run(removeBootUnits(scope, [name])),
    );
    return;
  }
  const commands = await runtime.bootCommands(spec, name);
  const text = bootUnitText({
    workload: name,
    runtime: spec.runtime,
    scope,
    after: (spec.after ?? []).map((other) => workloadName({ service: spec.service, name: other })),
    start: commands.start,
    stop: commands.stop,
    stopTimeoutSeconds: spec.stopTimeout,
  });
  const { argv, stdin } = installBootUnit(scope, name, text);
  ensureSuccess(
    `writing and enabling the boot unit ${unitName(name)}`,
    await runtime.transport.run(argv, { stdin }),
  );
}

/** Removes the workload's boot unit (delete); nothing is asked of a node that opted out. */
export async function removeBootUnit(transport: Transport, spec: ComponentSpec): Promise<void> {
  if (!spec.node.bootPersistence) return;
  const name = workloadName(spec);
  ensureSuccess(
    `removing the boot unit ${unitName(name)}`,
    await transport.run(removeBootUnits(await scopeOf(transport), [name])),
  );
}

async function statesOf(
  transport: Transport,
  _scope: string,
  names: string[],
): Promise<Map<string, string>> {
  const result = ensureSuccess(
    "reading the boot units",
    await transport.run(bootUnitStates(await scopeOf(transport), names)),
  );
  const byUnit = new Map<string, string>();
  for (const line of result.stdout.split("\n")) {
    const [unit, state] = line.trim().split(" ");
    if (unit && state) byUnit.set(unit, state);
  }
  return new Map(names.map((name) => [name, byUnit.get(unitName(name)) ?? "missing"]));
}

const stateInBatch = nodeBatcher(statesOf);

/**
 * What the node has of the workload's boot unit (refresh): "enabled",
 * "disabled", or, with no unit, "missing" where one is wanted and "none"
 * where not. A node that opted out has none, and is not asked.
 */
export async function observedBootUnit(
  transport: Transport,
  spec: ComponentSpec,
  wanted: BootUnitState,
): Promise<BootUnitState> {
  if (!spec.node.bootPersistence) return "none";
  const name = workloadName(spec);
  const state = (await stateInBatch(transport, "", name)).get(name);
  if (state === "enabled" || state === "disabled") return state;
  return wanted === "none" ? "none" : "missing";
}
