import type { ChangePlan } from "../diff/component-diff";
import type { ComponentSpec } from "../spec/component";
import { createWorkload, removeWorkload, replaceWorkload, syncBootUnitOnly } from "./deploy";
import { runtimeFor } from "./index";
import type { Progress } from "./progress";
import type { LiveWorkload } from "./types";

/** A plan with something to do on the node. */
export type NodeChange = Extract<ChangePlan, "boot-unit" | "recreate" | "replace-runtime">;

/** True when the plan has something to do on the node (and so needs its connection and lock). */
export function touchesNode(plan: ChangePlan): plan is NodeChange {
  return plan === "boot-unit" || plan === "recreate" || plan === "replace-runtime";
}

/**
 * Applies one component's change on its node: the one path by which
 * Component and Service update a component. Plans that do not touch the
 * node (no change, state only) never get here, so they open no connection.
 */
export async function applyChange(
  plan: NodeChange,
  previous: ComponentSpec,
  spec: ComponentSpec,
  progress?: Progress,
): Promise<LiveWorkload> {
  if (plan === "recreate") return replaceWorkload(runtimeFor(spec, progress), previous, spec);
  if (plan === "boot-unit") return syncBootUnitOnly(runtimeFor(spec, progress), previous, spec);
  // The old workload is reached the new way: a rotated key may have revoked the old one.
  const old = { ...previous, node: spec.node, credentials: spec.credentials };
  // The new runtime's preflight runs before the old workload goes (createWorkload repeats it, cached).
  const next = runtimeFor(spec, progress);
  await next.preflight?.(spec);
  await removeWorkload(runtimeFor(old), old);
  return createWorkload(next, spec);
}
