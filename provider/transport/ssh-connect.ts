import type { Readable } from "node:stream";
import type { Client, ConnectConfig } from "ssh2";
import { messageOf } from "../spec/message-of";
import type { NodeCredentials, NodeTarget } from "../spec/node";
import { countersFor } from "./counters";
import { fingerprint, verifyHostKey } from "./host-key";
import { TransportError } from "./types";

export function nodeLabel(node: NodeTarget): string {
  return node.local ? "local" : `${node.user}@${node.host}:${node.port}`;
}

/** Network errors worth another try: the node may be restarting or briefly overloaded. */
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

function isTransient(error: Error & { code?: string; level?: string }): boolean {
  if (error.code && TRANSIENT_CODES.has(error.code)) return true;
  return /Timed out while waiting for handshake|Connection lost before handshake/i.test(
    error.message,
  );
}

/** Opens one authenticated, host-verified SSH connection, through `sock` when jumping. */
function connectOnce(
  node: NodeTarget,
  credentials: NodeCredentials | undefined,
  sock?: Readable,
): Promise<Client> {
  const label = nodeLabel(node);
  return new Promise((resolve, reject) => {
    // Loaded on the first connection only: a run with nothing to do on a node (a no-change
    // preview or up: check and diff) never loads ssh2.
    const ssh2: typeof import("ssh2") = require("ssh2");
    const client = new ssh2.Client();
    let presented: string | undefined;
    let rejectedKey: { expected: string } | undefined;
    const config: ConnectConfig = {
      host: node.host,
      port: node.port,
      username: node.user,
      readyTimeout: node.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      privateKey: credentials?.privateKey,
      passphrase: credentials?.passphrase,
      agent: credentials?.agent,
      sock,
      hostVerifier: (key: Buffer) => {
        presented = fingerprint(key);
        const verdict = verifyHostKey(node, key);
        if (!verdict.trusted) {
          rejectedKey = { expected: verdict.expected };
          return false;
        }
        if (node.insecureIgnoreHostKey && !node.hostKey && node.knownHosts === undefined) {
          process.stderr.write(
            `pulumi-mcp: WARNING: host key of ${label} is NOT verified (insecureIgnoreHostKey: true); it presented ${presented}\n`,
          );
        }
        return true;
      },
    };
    client.once("ready", () => {
      countersFor(label).handshakes += 1;
      resolve(client);
    });
    let failed = false;
    // `on`, not `once`: ssh2 may emit more errors as a failed connection winds
    // down, and an unheard 'error' event would crash the provider process.
    client.on("error", (error: Error & { code?: string; level?: string }) => {
      if (failed) return;
      failed = true;
      client.end();
      if (rejectedKey) {
        reject(
          new TransportError(
            `host key verification failed for ${label}: expected ${rejectedKey.expected}, the host presented ${presented}. Refusing to connect; if the host key really changed, update hostKey/knownHosts.`,
            false,
          ),
        );
      } else if (error.level === "client-authentication") {
        reject(
          new TransportError(
            `SSH authentication failed for ${label}: the key or agent was not accepted`,
            false,
          ),
        );
      } else if (/parse privateKey|passphrase|Encrypted private key/i.test(error.message)) {
        reject(
          new TransportError(
            `the private key for ${label} cannot be used: ${error.message}`,
            false,
          ),
        );
      } else {
        reject(
          new TransportError(`cannot connect to ${label}: ${error.message}`, isTransient(error)),
        );
      }
    });
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 throws synchronously for a key it cannot parse (wrong passphrase, garbage).
      const message = messageOf(error);
      reject(new TransportError(`the private key for ${label} cannot be used: ${message}`, false));
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Connects with bounded retries and exponential backoff for transient failures only. */
export async function connectWithRetry(
  node: NodeTarget,
  credentials: NodeCredentials | undefined,
  openSock?: () => Promise<Readable>,
): Promise<Client> {
  let attempt = 0;
  for (;;) {
    try {
      const sock = openSock ? await openSock() : undefined;
      return await connectOnce(node, credentials, sock);
    } catch (error) {
      const transient = error instanceof TransportError && error.transient;
      if (!transient || attempt >= node.connectRetries) {
        if (transient && error instanceof Error) {
          error.message += ` (after ${attempt + 1} attempt${attempt === 0 ? "" : "s"})`;
        }
        throw error;
      }
      await sleep(Math.min(250 * 2 ** attempt, 4_000));
      attempt += 1;
    }
  }
}

/** Opens a TCP stream to `node` through an already connected jump host. */
export function forwardThrough(jump: Client, node: NodeTarget): Promise<Readable> {
  return new Promise((resolve, reject) => {
    jump.forwardOut("127.0.0.1", 0, node.host, node.port, (error, stream) => {
      if (error) {
        reject(
          new TransportError(
            `the jump host cannot reach ${node.host}:${node.port}: ${error.message}`,
            true,
          ),
        );
      } else resolve(stream);
    });
  });
}
