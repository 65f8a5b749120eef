import * as pulumi from "@pulumi/pulumi";

/** A login to one image registry, for the pulls of images it serves. */
export interface RegistryArgs {
  /** The registry as image references name it: `host[:port]` (Docker Hub: `docker.io`). */
  server: pulumi.Input<string>;
  username: pulumi.Input<string>;
  /** Password or token. Stored as a secret, and given to `podman login` on stdin only. */
  password: pulumi.Input<string>;
}

/** How to reach a node. Credentials travel apart from the rest, as a secret. */
export interface NodeArgs {
  host: pulumi.Input<string>;
  /** SSH port; 22 by default. */
  port?: pulumi.Input<number>;
  /** Login name; "mcp" by default. */
  user?: pulumi.Input<string>;
  /** OpenSSH private key text (PEM or OpenSSH format). Always stored as a secret. */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of an encrypted privateKey. Always stored as a secret. */
  passphrase?: pulumi.Input<string>;
  /** Path of an ssh-agent socket, e.g. process.env.SSH_AUTH_SOCK. */
  agent?: pulumi.Input<string>;
  /** The host key fingerprint as `ssh-keygen -lf` prints it: `SHA256:…`. */
  hostKey?: pulumi.Input<string>;
  /** known_hosts text to verify the host key against (instead of hostKey). */
  knownHosts?: pulumi.Input<string>;
  /** Connect without verifying the host key. Logs a warning on every connection. */
  insecureIgnoreHostKey?: pulumi.Input<boolean>;
  /**
   * Registries to log in to (`podman login`, into an auth file under the
   * login's ~/.pulumi-mcp/registry-auth/) before pulling an image they
   * serve, or, on an Image's build node, before its push and registry query
   * (the repo's registry only); one entry per server. Stored as a secret
   * with the other credentials.
   */
  registries?: pulumi.Input<pulumi.Input<RegistryArgs>[]>;
  /** Reach this node through another one, like OpenSSH's ProxyJump. */
  proxyJump?: NodeArgs;
  /** Run every command through `sudo -n`. */
  sudo?: pulumi.Input<boolean>;
  /** Run commands on this machine (no SSH). */
  local?: pulumi.Input<boolean>;
  /** Connect (handshake) timeout in ms; 10000 by default. */
  connectTimeoutMs?: pulumi.Input<number>;
  /** Timeout for one remote command in ms; 600000 by default. */
  commandTimeoutMs?: pulumi.Input<number>;
  /** How often a refused or timed-out connect is retried, with backoff; 2 by default. */
  connectRetries?: pulumi.Input<number>;
  /** How long a run waits for another run's lock on this node, in ms; 300000 by default. */
  lockTimeoutMs?: pulumi.Input<number>;
  /**
   * Commands run at once over the node's one SSH connection (the rest queue);
   * 8 by default. Keep it at or below the node sshd's `MaxSessions` (10 by default).
   */
  maxSessions?: pulumi.Input<number>;
  /**
   * Start every workload at boot through the node's systemd (one unit per
   * workload); true by default. A node without systemd is refused unless
   * this is false (its workloads then stay down after a reboot).
   */
  bootPersistence?: pulumi.Input<boolean>;
}

interface SplitNode {
  target: Record<string, unknown>;
  credentials: Record<string, unknown> | undefined;
}

/**
 * Splits NodeArgs into the plain target (shown in previews) and the
 * credentials (a secret output of their own), without resolving any Input:
 * resolving the whole node would make every field of it secret.
 */
export function splitNodeArgs(node: NodeArgs): SplitNode {
  const { privateKey, passphrase, agent, registries, proxyJump, ...target } = node;
  const jump = proxyJump ? splitNodeArgs(proxyJump) : undefined;
  const credentials: Record<string, unknown> = {};
  if (privateKey !== undefined) credentials.privateKey = privateKey;
  if (passphrase !== undefined) credentials.passphrase = passphrase;
  if (agent !== undefined) credentials.agent = agent;
  if (registries !== undefined) credentials.registries = registries;
  if (jump?.credentials) credentials.proxyJump = jump.credentials;
  return {
    target: jump ? { ...target, proxyJump: jump.target } : { ...target },
    credentials: Object.keys(credentials).length > 0 ? credentials : undefined,
  };
}

/** The inputs `node` and `credentials` a resource sends to its provider. */
export function nodeInputs(node: NodeArgs): {
  node: pulumi.Input<unknown>;
  credentials?: pulumi.Input<unknown>;
} {
  const { target, credentials } = splitNodeArgs(node);
  return credentials ? { node: target, credentials: pulumi.secret(credentials) } : { node: target };
}
