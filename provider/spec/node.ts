import { z } from "zod";
import { DOMAIN } from "./image-ref";
import { LIMITS } from "./limits";

const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*|\[?[0-9a-fA-F:.]+\]?)$/;
const LOGIN = /^[a-z_][a-z0-9_-]{0,31}$/;
/** OpenSSH's `ssh-keygen -l` form: SHA256 and 43 unpadded base64 characters. */
export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * Where a node is and how to trust it: everything about a node except its
 * credentials. This part is plain state that previews may show.
 */
export interface NodeTarget {
  host: string;
  port: number;
  user: string;
  hostKey?: string;
  knownHosts?: string;
  insecureIgnoreHostKey: boolean;
  local: boolean;
  sudo: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  connectRetries: number;
  lockTimeoutMs: number;
  /** Commands (SSH channels) at once on the node's one connection; the rest queue. */
  maxSessions: number;
  /**
   * Make each workload start at boot through the node's systemd (a unit per
   * workload). A node without systemd is refused unless this is false.
   */
  bootPersistence: boolean;
  proxyJump?: NodeTarget;
}

/** A login to one image registry: what `podman login` is given for pulls from `server`. */
export interface RegistryCredential {
  /** The registry as image references name it: `host[:port]` (Docker Hub: `docker.io`). */
  server: string;
  username: string;
  /** Password or token; only ever on `podman login`'s stdin. */
  password: string;
}

/** The secret half of a node: kept apart so it can be a secret output on its own. */
export interface NodeCredentials {
  privateKey?: string;
  passphrase?: string;
  agent?: string;
  /** Registry logins for this node's pulls, one per server. */
  registries?: RegistryCredential[];
  proxyJump?: NodeCredentials;
}

/** podman reads the password from stdin up to its end; a newline or NUL would not survive. */
const ONE_LINE = /^[^\n\r\0]+$/;

const registryCredentialSchema = z.strictObject({
  server: z
    .string()
    .max(LIMITS.hostLength)
    .regex(
      DOMAIN,
      "must be a registry host[:port] as image references name it (no scheme, no path)",
    ),
  username: z.string().max(256).regex(ONE_LINE, "must be one non-empty line"),
  password: z
    .string()
    .max(16 * 1024)
    .regex(ONE_LINE, "must be one non-empty line"),
});

export const nodeTargetSchema: z.ZodType<NodeTarget, unknown> = z.lazy(() =>
  z.strictObject({
    host: z.string().max(LIMITS.hostLength).regex(HOST, "must be a host name or an IP address"),
    port: z.int().min(1).max(65535).default(22),
    user: z
      .string()
      .regex(LOGIN, "must be a login name (lower-case letters, digits, _ and -)")
      .default("mcp"),
    hostKey: z
      .string()
      .regex(
        FINGERPRINT,
        "must be an OpenSSH SHA256 fingerprint (SHA256: and 43 base64 characters)",
      )
      .optional(),
    knownHosts: z
      .string()
      .max(1024 * 1024)
      .optional(),
    insecureIgnoreHostKey: z.boolean().default(false),
    local: z.boolean().default(false),
    sudo: z.boolean().default(false),
    connectTimeoutMs: z.int().min(100).max(600_000).default(10_000),
    commandTimeoutMs: z.int().min(1_000).max(3_600_000).default(600_000),
    connectRetries: z.int().min(0).max(10).default(2),
    lockTimeoutMs: z.int().min(0).max(3_600_000).default(300_000),
    // sshd's MaxSessions is 10 by default: stay below it unless the node allows more.
    maxSessions: z.int().min(2).max(256).default(8),
    bootPersistence: z.boolean().default(true),
    proxyJump: nodeTargetSchema.optional(),
  }),
);

export const nodeCredentialsSchema: z.ZodType<NodeCredentials, unknown> = z.lazy(() =>
  z.strictObject({
    privateKey: z
      .string()
      .min(1)
      .max(64 * 1024)
      .optional(),
    passphrase: z.string().max(4096).optional(),
    agent: z.string().min(1).max(LIMITS.pathLength).optional(),
    registries: z.array(registryCredentialSchema).max(32).optional(),
    proxyJump: nodeCredentialsSchema.optional(),
  }),
);

/** The node fields that hold credentials, split off into `credentials`. */
export const CREDENTIAL_FIELDS = ["privateKey", "passphrase", "agent"] as const;

/** Node-level rules zod's shape cannot say: auth and host-key trust on remote nodes. */
export function nodeProblems(
  node: NodeTarget,
  credentials: NodeCredentials | undefined,
  path: string,
): { property: string; reason: string }[] {
  const problems: { property: string; reason: string }[] = [];
  const servers = (credentials?.registries ?? []).map((registry) => registry.server);
  for (const [index, server] of servers.entries()) {
    if (servers.indexOf(server) !== index) {
      problems.push({
        property: `${path}.registries[${index}].server`,
        reason: `${path}.registries[${index}].server = ${JSON.stringify(server)}: this registry is listed twice (one login per registry and node)`,
      });
    }
  }
  if (path.endsWith("proxyJump") && credentials?.registries) {
    problems.push({
      property: `${path}.registries`,
      reason: `${path}.registries: a jump host pulls no images; set registries on the node that runs the components`,
    });
  }
  if (node.local) return problems;
  if (!credentials?.privateKey && !credentials?.agent) {
    problems.push({
      property: path,
      reason: `${path} (${node.user}@${node.host}:${node.port}) has no SSH auth: set privateKey or agent`,
    });
  }
  if (!node.hostKey && !node.knownHosts && !node.insecureIgnoreHostKey) {
    problems.push({
      property: `${path}.hostKey`,
      reason: `${path} (${node.host}) has no host key to verify: set hostKey ("SHA256:…" from ssh-keygen -lf) or knownHosts, or opt out with insecureIgnoreHostKey: true`,
    });
  }
  if (node.proxyJump) {
    problems.push(...nodeProblems(node.proxyJump, credentials?.proxyJump, `${path}.proxyJump`));
  }
  return problems;
}
