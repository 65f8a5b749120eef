import type { NodeChange } from "../diff/component-diff";
import type { ComponentSpec } from "../spec/component";
import { createWorkload, removeWorkload, replaceWorkload, syncBootUnitOnly } from "./deploy";
import { runtimeFor } from "./index";
import type { Progress } from "./progress";
import type { LiveWorkload } from "./types";

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
