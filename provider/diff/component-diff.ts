import type { ComponentSpec } from "../spec/component";
import type { NodeTarget } from "../spec/node";
import { type PortSpec, parsePortSpec, portsCollide } from "../spec/port-spec";
import { isUnknown } from "../spec/unknown";

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
  "pinDigest",
  "ports",
  "volumes",
  "env",
  "secretFiles",
  "cmd",
  "user",
  "restart",
  "network",
  "logMaxSize",
  "memoryMb",
  "vcpus",
  "accel",
  "binary",
  "stopTimeout",
  "startTimeout",
  "minUptime",
  "after",
  "bootUnit",
  "healthcheck",
] as const satisfies readonly (keyof ComponentSpec)[];

/**
 * Fields whose change touches nothing on the node: how a deploy is watched
 * (startTimeout, minUptime, healthcheck: pulumi-mcp probes, podman is not told) and how the node is reached (credentials, host
 * key, timeouts; a `node` change that is not a replace). Only state changes.
 */
const STATE_ONLY = new Set<string>([
  "startTimeout",
  "minUptime",
  "healthcheck",
  "credentials",
  "node",
]);

/** Fields applied by rewriting (or removing) the workload's boot unit alone. */
const BOOT_UNIT_ONLY = new Set<string>(["after", "bootUnit"]);

/**
 * How one component's change is applied; Component and Service both go by
 * this. "boot-unit": only the workload's boot unit is written or removed.
 */
export type ChangePlan = "none" | "state-only" | "boot-unit" | "recreate" | "replace-runtime";

export function planChange(diff: ComponentDiff): ChangePlan {
  if (!diff.changes) return "none";
  if (diff.replaces.includes("runtime")) return "replace-runtime";
  const onNode = diff.changed.filter((field) => !STATE_ONLY.has(field));
  if (onNode.length === 0) return "state-only";
  return onNode.every((field) => BOOT_UNIT_ONLY.has(field)) ? "boot-unit" : "recreate";
}

/** A plan with something to do on the node. */
export type NodeChange = Extract<ChangePlan, "boot-unit" | "recreate" | "replace-runtime">;

/** True when the plan has something to do on the node (and so needs its connection and lock). */
export function touchesNode(plan: ChangePlan): plan is NodeChange {
  return plan === "boot-unit" || plan === "recreate" || plan === "replace-runtime";
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function parsedPorts(specs: readonly string[]): PortSpec[] {
  return specs.map(parsePortSpec).filter((port): port is PortSpec => typeof port !== "string");
}

function hostPortsOverlap(olds: readonly string[], news: readonly string[]): boolean {
  // Ports not known yet (a preview) might overlap.
  if (!Array.isArray(news) || news.some(isUnknown)) return true;
  const oldPorts = parsedPorts(olds);
  return parsedPorts(news).some((port) => oldPorts.some((old) => portsCollide(old, port)));
}

/** Another machine: the new workload can start before the old one goes. An unknown node (a preview) counts as one. */
function isOtherMachine(olds: NodeTarget, news: NodeTarget): boolean {
  return isUnknown(news) || olds.host !== news.host || olds.port !== news.port;
}

/**
 * Another podman (or VM) context on the same machine: a different login,
 * sudo or local. Host ports are still shared with the old workload.
 */
function isOtherContext(olds: NodeTarget, news: NodeTarget): boolean {
  return olds.user !== news.user || olds.sudo !== news.sudo || olds.local !== news.local;
}

/**
 * DESIGN.md's diff rules. Credentials, host-key pinning and timeouts are a
 * change of state only: they say how to reach a node, not what runs on it,
 * but refresh and destroy use what state holds. In a preview, `news` may hold
 * unknown values (see spec/unknown): an unknown replace-field replaces, any
 * other unknown field is an update, because an unknown never equals a value.
 */
export function diffComponent(olds: ComponentSpec, news: ComponentSpec): ComponentDiff {
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
  if (!movedMachine && !movedContext && !same(olds.node, news.node)) changed.push("node");
  if (!same(olds.credentials, news.credentials)) changed.push("credentials");
  return { changes: changed.length > 0, replaces, deleteBeforeReplace, changed };
}

/**
 * A refresh found the workload failing its health check (state "unhealthy"):
 * a drift the next preview shows and `up` repairs by recreating it (rolled
 * back, with the probe answers, when the new one fails its check too).
 */
export function isUnhealthy(
  observedState: unknown,
  news: Pick<ComponentSpec, "healthcheck">,
): boolean {
  return observedState === "unhealthy" && news.healthcheck !== undefined;
}
