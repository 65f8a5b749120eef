import { extractVersion, parseImageRef } from "pulumi-mcp";
import { z } from "zod";

/**
 * The stack config of the fleet program: nodes by name, services by name.
 * Validated before anything is declared, so a bad stack file fails at
 * preview with the config key that is wrong.
 */
const nodeConfig = z.strictObject({
  host: z.string().min(1),
  port: z.int().min(1).max(65535).optional(),
  user: z.string().min(1).optional(),
  hostKey: z.string().optional(),
  knownHosts: z.string().optional(),
  local: z.boolean().optional(),
  sudo: z.boolean().optional(),
  bootPersistence: z.boolean().optional(),
});

/** The provider checks these too, but its message names the resource, not the config key. */
const image = z.string().superRefine((ref, ctx) => {
  const parsed = parseImageRef(ref);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
  else if (extractVersion(ref) === "" || (parsed.tag === "latest" && !parsed.digest))
    ctx.addIssue({
      code: "custom",
      message: "is not pinned: use a version tag (e.g. :v1.2.0) or a digest",
    });
});

const PORT = /^(?:(?:\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d{1,5}):(\d{1,5})(?:\/(?:tcp|udp))?$/;
const port = z.string().superRefine((spec, ctx) => {
  const match = PORT.exec(spec);
  const numbers = match ? [Number(match[1]), Number(match[2])] : [];
  if (!match || numbers.some((n) => n < 1 || n > 65535))
    ctx.addIssue({
      code: "custom",
      message: "is not [ip:]hostPort:containerPort[/tcp|udp] with ports 1-65535",
    });
});

const componentConfig = z.strictObject({
  name: z.string().min(1),
  image,
  runtime: z.enum(["container", "unikernel"]).optional(),
  ports: z.array(port).optional(),
  volumes: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cmd: z.array(z.string()).optional(),
  user: z.string().optional(),
  restart: z.enum(["no", "always", "on-failure", "unless-stopped"]).optional(),
  network: z.string().optional(),
  memoryMb: z.int().optional(),
  vcpus: z.int().optional(),
  stopTimeout: z.int().optional(),
  startTimeout: z.int().optional(),
  minUptime: z.number().optional(),
});

const serviceConfig = z.strictObject({
  node: z.string().min(1),
  active: z.boolean().optional(),
  components: z.array(componentConfig).min(1),
});

export const fleetConfigSchema = z
  .strictObject({
    nodes: z.record(z.string(), nodeConfig),
    services: z.record(z.string(), serviceConfig),
  })
  .superRefine((config, ctx) => {
    for (const [name, service] of Object.entries(config.services)) {
      if (!(service.node in config.nodes)) {
        ctx.addIssue({
          code: "custom",
          path: ["services", name, "node"],
          message: `names node ${JSON.stringify(service.node)}, which is not in nodes (${Object.keys(config.nodes).join(", ") || "none"})`,
        });
      }
    }
  });

export type FleetConfig = z.output<typeof fleetConfigSchema>;

/** ` = <value>` for a message, short, when there is a value to show. */
function shown(input: unknown): string {
  if (input === undefined || (typeof input === "object" && input !== null)) return "";
  const text = JSON.stringify(input);
  return ` = ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`;
}

/** Turns a zod path into the stack-config key a user edits: `mcp-fleet:services.hello.components[0].image`. */
function configKey(project: string, path: readonly PropertyKey[]): string {
  const [top, ...rest] = path;
  const tail = rest
    .map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`))
    .join("");
  return `${project}:${String(top)}${tail}`;
}

/**
 * Validates the fleet config; the error names every bad key and its value (nodes and services
 * hold no secrets: those are sshKey and secretEnv, never shown).
 */
export function parseFleetConfig(project: string, raw: Record<string, unknown>): FleetConfig {
  const parsed = fleetConfigSchema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `  ${configKey(project, issue.path)}${shown(issue.input)}: ${issue.message}`,
  );
  throw new Error(`invalid stack config:\n${problems.join("\n")}`);
}
