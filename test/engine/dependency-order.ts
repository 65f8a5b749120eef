// TEST ENGINE — not shipped. Resources ordered so that each comes after everything it depends on
// (its parent included), keeping the given order otherwise. Deletes walk this order backwards.

import type { StateResource } from "./state-file";

export function dependencyOrder(resources: readonly StateResource[]): StateResource[] {
  const byUrn = new Map<string, StateResource[]>();
  for (const r of resources) byUrn.set(r.urn, [...(byUrn.get(r.urn) ?? []), r]);
  const placed = new Set<StateResource>();
  const visiting = new Set<StateResource>();
  const ordered: StateResource[] = [];
  const visit = (r: StateResource) => {
    if (placed.has(r) || visiting.has(r)) return; // a cycle cannot be ordered: keep going
    visiting.add(r);
    for (const urn of r.dependencies) for (const dep of byUrn.get(urn) ?? []) visit(dep);
    visiting.delete(r);
    placed.add(r);
    ordered.push(r);
  };
  for (const r of resources) visit(r);
  return ordered;
}

/** Dependents first. */
export function deleteOrder(resources: readonly StateResource[]): StateResource[] {
  return dependencyOrder(resources).reverse();
}
