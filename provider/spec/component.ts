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

/** diff/revisions.ts: a count per value; unknown in a preview while its value is. */
export const revisionsSchema = z.record(z.string(), z.union([z.int().min(1), z.literal(UNKNOWN)]));

/** The component fields shared by `Component` and each entry of a `Service`. */
export const componentFieldsShape = {
  name: nameField,
  image: z.string().max(LIMITS.imageLength),
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
  restart: z.enum(RESTART_POLICIES).default("unless-stopped"),
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
  accel?: (typeof ACCELS)[number];
  binary?: string;
  stopTimeout: number;
  startTimeout: number;
  minUptime: number;
  /** How readiness is probed (http, tcp or cmd); absent: minUptime and the runtime's own check. */
  healthcheck?: HealthCheck;
}

/** The podman container (or VM) name MCP uses: `<service>-<component>`. */
export function workloadName(spec: Pick<ComponentSpec, "service" | "name">): string {
  return `${spec.service}-${spec.name}`;
}
