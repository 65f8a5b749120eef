import { z } from "zod";
import { type HealthCheck, healthcheckSchema } from "./healthcheck";
import { LIMITS } from "./limits";
import {
  type NodeCredentials,
  type NodeTarget,
  nodeCredentialsSchema,
  nodeTargetSchema,
} from "./node";
import { UNKNOWN } from "./unknown";

/** podman's own rule for container names; the service and component names join into one. */
export const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONTAINER_USER = /^(?:[a-z_][a-z0-9_-]*|\d+)(?::(?:[a-z_][a-z0-9_-]*|\d+))?$/;
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** podman's --log-opt max-size: a size in kB, MB or GB (k, m, g; an optional b). */
const LOG_MAX_SIZE = /^[1-9][0-9]{0,5}[kKmMgG][bB]?$/;
/** The log cap of a container that names none (Kamal's default too). */
export const DEFAULT_LOG_MAX_SIZE = "10m";

/** A file name under /run/secrets/: no path, no leading dot, nothing podman's `--secret` syntax splits on (, =). */
export const SECRET_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export const RESTART_POLICIES = ["no", "always", "on-failure", "unless-stopped"] as const;
export const RUNTIMES = ["container", "unikernel"] as const;
/** How a unikernel VM is accelerated: KVM, QEMU's TCG emulation, or KVM when the node has a usable one. */
export const ACCELS = ["auto", "kvm", "tcg"] as const;

const nameField = z
  .string()
  .max(LIMITS.nameLength)
  .regex(NAME, "must start with a letter or digit and hold only letters, digits, _ . and -");

/**
 * A workload's boot unit (runtime/boot-unit.ts): check derives what the
 * inputs want ("enabled", or "none" when nothing should start it at boot);
 * refresh reports what the node has ("disabled" or "missing" is drift).
 */
export const BOOT_UNIT_STATES = ["enabled", "disabled", "missing", "none"] as const;
export type BootUnitState = (typeof BOOT_UNIT_STATES)[number];

/** diff/revisions.ts: a count per value; unknown in a preview while its value is. */
export const revisionsSchema = z.record(z.string(), z.union([z.int().min(1), z.literal(UNKNOWN)]));

/** The component fields shared by `Component` and each entry of a `Service`. */
export const componentFieldsShape = {
  name: nameField,
  image: z.string().max(LIMITS.imageLength),
  /** Resolve the image's tag to its registry digest at deploy and run exactly that digest (README: pinDigest). */
  pinDigest: z.boolean().optional(),
  runtime: z.enum(RUNTIMES).default("container"),
  ports: z.array(z.string()).max(LIMITS.ports).default([]),
  volumes: z.array(z.string()).max(LIMITS.volumes).default([]),
  env: z.record(z.string(), z.string()).default({}),
  /** Container only: files under /run/secrets/, name → content, from podman secrets. */
  secretFiles: z.record(z.string(), z.string()).optional(),
  cmd: z.array(z.string()).max(LIMITS.cmdArgs).default([]),
  user: z
    .string()
    .regex(CONTAINER_USER, "must be user[:group], each a name or a numeric id")
    .optional(),
  /** Defaults by runtime (see check-component): "unless-stopped" for containers, "on-failure" for VMs. */
  restart: z.enum(RESTART_POLICIES).optional(),
  network: z
    .string()
    .max(LIMITS.nameLength)
    .regex(NETWORK, "must be a podman network name")
    .optional(),
  memoryMb: z
    .int()
    .min(16)
    .max(1024 * 1024)
    .optional(),
  vcpus: z.int().min(1).max(256).optional(),
  /**
   * Container only: the cap of its log file (podman's k8s-file driver rotates
   * it there), `DEFAULT_LOG_MAX_SIZE` unless given; "unlimited": podman's own
   * log settings, no cap.
   */
  logMaxSize: z
    .union([
      z
        .string()
        .regex(LOG_MAX_SIZE, 'must be a size such as "10m", "512k" or "1g", or "unlimited"'),
      z.literal("unlimited"),
    ])
    .optional(),
  /** Unikernel only: "auto" (default), "kvm" or "tcg". */
  accel: z.enum(ACCELS).optional(),
  /** Unikernel only: the ELF inside the image to run, instead of its entrypoint (else cmd[0]). */
  binary: z.string().max(LIMITS.pathLength).optional(),
  /** Seconds podman waits after SIGTERM before SIGKILL. */
  stopTimeout: z.int().min(0).max(3600).default(10),
  /** Seconds a new container has to reach running and stay up `minUptime`. */
  startTimeout: z.int().min(1).max(3600).default(60),
  /** Seconds a new container must stay running before it counts as started. */
  minUptime: z.number().min(0).max(600).default(2),
  /** Components of the same service whose boot units start before this one's. */
  after: z.array(nameField).max(LIMITS.after).optional(),
  /** Derived by check from restart and the node (see BOOT_UNIT_STATES); refresh observes it. */
  bootUnit: z.enum(BOOT_UNIT_STATES).optional(),
  /** A probe that must pass before a create or update is done (see spec/healthcheck). */
  healthcheck: healthcheckSchema.optional(),
};

export const componentInputsSchema = z.strictObject({
  node: nodeTargetSchema,
  credentials: nodeCredentialsSchema.optional(),
  service: nameField,
  adopt: z.boolean().optional(),
  revisions: revisionsSchema.optional(),
  ...componentFieldsShape,
});

/** A component's inputs after check: defaults filled in, lists and specs in canonical form. */
export interface ComponentSpec {
  node: NodeTarget;
  credentials?: NodeCredentials;
  service: string;
  /**
   * Take over a running workload of this name at create, without restarting
   * it, when it matches the inputs (refused, naming the fields, when not).
   * State only: never part of a diff.
   */
  adopt?: boolean;
  /** What a preview shows of a changed env value or secret file (diff/revisions.ts); state only. */
  revisions?: Record<string, number | typeof UNKNOWN>;
  name: string;
  image: string;
  /** Run the digest the tag resolved to at deploy (`repo:tag@sha256:…`); absent when false. */
  pinDigest?: boolean;
  /**
   * Runtime only, never an input: the pinned reference a pinDigest component
   * runs, handed down by an update that keeps the previous pin (diff/pin.ts);
   * absent, the runtime resolves the tag.
   */
  pinnedImage?: string;
  runtime: (typeof RUNTIMES)[number];
  ports: string[];
  volumes: string[];
  env: Record<string, string>;
  /** Sorted by name; absent when there are none (so older state, without it, diffs clean). */
  secretFiles?: Record<string, string>;
  cmd: string[];
  user?: string;
  restart: (typeof RESTART_POLICIES)[number];
  network?: string;
  memoryMb?: number;
  vcpus?: number;
  /** Containers: always set after check (default DEFAULT_LOG_MAX_SIZE). */
  logMaxSize?: string;
  accel?: (typeof ACCELS)[number];
  binary?: string;
  stopTimeout: number;
  startTimeout: number;
  minUptime: number;
  /** Components of the same service started before this one at boot (their units come first). */
  after?: string[];
  /** What the inputs want of the boot unit, or (in refreshed state) what the node has. */
  bootUnit: BootUnitState;
  /** How readiness is probed (http, tcp or cmd); absent: minUptime and the runtime's own check. */
  healthcheck?: HealthCheck;
}

/** The podman container (or VM) name MCP uses: `<service>-<component>`. */
export function workloadName(spec: Pick<ComponentSpec, "service" | "name">): string {
  return `${spec.service}-${spec.name}`;
}

/** What the inputs want of a workload's boot unit: one unless restart is "no" or the node opts out. */
export function wantedBootUnit(spec: Pick<ComponentSpec, "node" | "restart">): BootUnitState {
  return spec.node.bootPersistence && spec.restart !== "no" ? "enabled" : "none";
}
