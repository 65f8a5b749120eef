import type { ComponentSpec } from "../spec/component";
import { type Transport, transportFor } from "../transport";
import { ContainerRuntime } from "./container-runtime";
import { noProgress, type Progress } from "./progress";
import type { LiveWorkload, WorkloadRuntime } from "./types";
import { UnikernelRuntime } from "./unikernel-runtime";

export type { Progress } from "./progress";
export type { LiveWorkload, WorkloadRuntime } from "./types";

/** The runtime a component asks for, on its node; `progress` hears about the slow steps. */
export function runtimeFor(spec: ComponentSpec, progress: Progress = noProgress): WorkloadRuntime {
  const transport = transportFor(spec.node, spec.credentials);
  return spec.runtime === "unikernel"
    ? new UnikernelRuntime(transport, progress)
    : new ContainerRuntime(transport, progress);
}

/**
 * Every workload pulumi-mcp manages on a node, containers and VMs together
 * (for refresh and drift), sorted by name. A node without podman or without
 * any VM simply contributes none of that kind.
 */
export async function listAll(transport: Transport): Promise<LiveWorkload[]> {
  const [containers, vms] = await Promise.all([
    new ContainerRuntime(transport).list(),
    new UnikernelRuntime(transport).list(),
  ]);
  return [...containers, ...vms].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
