import type { ComponentSpec } from "../spec/component";
import { transportFor } from "../transport";
import { ContainerRuntime } from "./container-runtime";
import type { WorkloadRuntime } from "./types";

export type { LiveWorkload, WorkloadRuntime } from "./types";

/** The runtime a component asks for, on its node. */
export function runtimeFor(spec: ComponentSpec): WorkloadRuntime {
  const transport = transportFor(spec.node, spec.credentials);
  return new ContainerRuntime(transport);
}
