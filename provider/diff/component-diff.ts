import type { ComponentSpec } from "../spec/component";
import type { NodeTarget } from "../spec/node";
import { type PortSpec, parsePortSpec, portsCollide } from "../spec/port-spec";

/** What `pulumi preview` is told about one component. */
export interface ComponentDiff {
  changes: boolean;
  /** Top-level inputs that force a replacement. */
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** Every top-level input that differs, replacing or not (for messages and tests). */
  changed: string[];
}

/** Fields whose change is applied in place by recreating the container or rebooting the VM. */
const IN_PLACE_FIELDS = [
  "image",
  "ports",
  "volumes",
  "env",
  "secretFiles",
  "cmd",
  "user",
  "restart",
  "network",
  "memoryMb",
  "vcpus",
  "accel",
  "binary",
  "stopTimeout",
  "startTimeout",
  "minUptime",
] as const satisfies readonly (keyof ComponentSpec)[];

/** Fields that change only how a deploy is watched, not the workload: no recreate needed. */
const DEPLOY_SETTINGS = new Set<string>(["startTimeout", "minUptime"]);

/** True when applying the diff means recreating the container or rebooting the VM. */
export function needsRecreate(diff: ComponentDiff): boolean {
  return diff.changed.some((field) => !DEPLOY_SETTINGS.has(field));
}

/** The spec fields a diff looks at; old state may carry more (computed outputs). */
export type DiffableSpec = Omit<ComponentSpec, "credentials">;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function parsedPorts(specs: readonly string[]): PortSpec[] {
  return specs.map(parsePortSpec).filter((port): port is PortSpec => typeof port !== "string");
}

function hostPortsOverlap(olds: readonly string[], news: readonly string[]): boolean {
  const oldPorts = parsedPorts(olds);
  return parsedPorts(news).some((port) => oldPorts.some((old) => portsCollide(old, port)));
}

/** Another machine: the new workload can start before the old one goes. */
function isOtherMachine(olds: NodeTarget, news: NodeTarget): boolean {
  return olds.host !== news.host || olds.port !== news.port;
}

/**
 * Another podman (or VM) context on the same machine: a different login,
 * sudo or local. Host ports are still shared with the old workload.
 */
function isOtherContext(olds: NodeTarget, news: NodeTarget): boolean {
  return olds.user !== news.user || olds.sudo !== news.sudo || olds.local !== news.local;
}

/**
 * DESIGN.md's diff rules. Credentials, host-key pinning and timeouts never
 * cause a change: they say how to reach a node, not what runs on it.
 */
export function diffComponent(olds: DiffableSpec, news: DiffableSpec): ComponentDiff {
  const changed: string[] = [];
  const replaces: string[] = [];
  let deleteBeforeReplace = false;

  if (olds.runtime !== news.runtime) {
    changed.push("runtime");
    replaces.push("runtime");
    deleteBeforeReplace = true; // same name and ports on the same node
  }
  const renamed = olds.service !== news.service || olds.name !== news.name;
  for (const field of ["service", "name"] as const) {
    if (olds[field] !== news[field]) {
      changed.push(field);
      replaces.push(field);
    }
  }
  const movedMachine = isOtherMachine(olds.node, news.node);
  const movedContext = !movedMachine && isOtherContext(olds.node, news.node);
  if (movedMachine || movedContext) {
    changed.push("node");
    replaces.push("node");
  }
  if ((renamed || movedContext) && !movedMachine && hostPortsOverlap(olds.ports, news.ports)) {
    deleteBeforeReplace = true;
  }
  for (const field of IN_PLACE_FIELDS) {
    if (!same(olds[field], news[field])) changed.push(field);
  }
  return { changes: changed.length > 0, replaces, deleteBeforeReplace, changed };
}
