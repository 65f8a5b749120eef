import { createHash } from "node:crypto";
import type { Client } from "ssh2";
import type { NodeCredentials, NodeTarget } from "../spec/node";
import { traceCounters } from "./counters";
import { Semaphore } from "./semaphore";
import { connectWithRetry, forwardThrough, nodeLabel } from "./ssh-connect";
import { ChannelRefused, execOnChannel, holdOnChannel } from "./ssh-exec";
import type { CommandResult, HeldCommand, HoldOptions, RunOptions, Transport } from "./types";

/** How often a refused channel open is tried before the command fails. */
const CHANNEL_OPEN_ATTEMPTS = 5;
/** Close a connection nobody used for this long, so a finished run can exit. */
const IDLE_CLOSE_MS = 20_000;

interface PooledConnection {
  client: Promise<Client>;
  channels: Semaphore;
  idleTimer?: NodeJS.Timeout;
}

/**
 * One SSH connection per node for the whole provider process, shared by every
 * resource on that node. Lives on the module (loaded by `require` in the
 * provider process), never in serialised closures.
 */
const pool = new Map<string, PooledConnection>();

function poolKey(node: NodeTarget, credentials: NodeCredentials | undefined): string {
  return createHash("sha256")
    .update(JSON.stringify([node, credentials ?? null]))
    .digest("hex");
}

function openClient(node: NodeTarget, credentials: NodeCredentials | undefined): Promise<Client> {
  const jump = node.proxyJump;
  if (!jump) return connectWithRetry(node, credentials);
  const jumpConnection = pooled(jump, credentials?.proxyJump);
  return connectWithRetry(node, credentials, async () =>
    forwardThrough(await jumpConnection.client, node),
  );
}

function pooled(node: NodeTarget, credentials: NodeCredentials | undefined): PooledConnection {
  const key = poolKey(node, credentials);
  const existing = pool.get(key);
  if (existing) return existing;
  const label = nodeLabel(node);
  const entry: PooledConnection = {
    client: openClient(node, credentials),
    // The node's maxSessions (8 by default, below sshd's default MaxSessions of 10).
    channels: new Semaphore(node.maxSessions),
  };
  pool.set(key, entry);
  entry.client.then(
    (client) => {
      const forget = () => {
        if (pool.get(key) === entry) pool.delete(key);
        clearTimeout(entry.idleTimer);
      };
      client.once("close", () => {
        forget();
        traceCounters(label);
      });
      client.on("error", forget);
    },
    () => {
      if (pool.get(key) === entry) pool.delete(key);
    },
  );
  return entry;
}

/**
 * Takes one of the connection's channel slots. A slot in use keeps the
 * connection open: the idle timer armed by the last command is cleared, also
 * for a hold that may wait long (another run's node lock).
 */
async function takeSlot(entry: PooledConnection): Promise<() => void> {
  const release = await entry.channels.acquire();
  clearTimeout(entry.idleTimer);
  return release;
}

/** Arms the idle timer once no channel of the connection is in use. */
function closeWhenIdle(entry: PooledConnection, client: Client): void {
  if (entry.channels.inUse > 0) return;
  clearTimeout(entry.idleTimer);
  entry.idleTimer = setTimeout(() => client.end(), IDLE_CLOSE_MS);
  entry.idleTimer.unref();
}

export class SshTransport implements Transport {
  readonly label: string;

  constructor(
    private readonly node: NodeTarget,
    private readonly credentials: NodeCredentials | undefined,
  ) {
    this.label = nodeLabel(node);
  }

  /** Connects if needed; a failed connect is reported by the command that runs next. */
  async ready(): Promise<void> {
    await pooled(this.node, this.credentials).client.then(
      () => undefined,
      () => undefined,
    );
  }

  /** A held command keeps one of the connection's channel slots until released. */
  async hold(argv: readonly string[], options: HoldOptions): Promise<HeldCommand> {
    const entry = pooled(this.node, this.credentials);
    const client = await entry.client;
    const releaseSlot = await takeSlot(entry);
    try {
      const held = await holdOnChannel(client, this.label, argv, options);
      return {
        release: async () => {
          try {
            await held.release();
          } finally {
            releaseSlot();
            closeWhenIdle(entry, client);
          }
        },
      };
    } catch (error) {
      releaseSlot();
      throw error;
    }
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const entry = pooled(this.node, this.credentials);
    const client = await entry.client;
    const release = await takeSlot(entry);
    try {
      // sshd may refuse a channel when its MaxSessions is lower than ours: the
      // command never started, so waiting and opening it again is safe.
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await execOnChannel(client, this.label, argv, {
            ...options,
            timeoutMs: options.timeoutMs ?? this.node.commandTimeoutMs,
          });
        } catch (error) {
          if (!(error instanceof ChannelRefused) || attempt >= CHANNEL_OPEN_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    } finally {
      release();
      closeWhenIdle(entry, client);
    }
  }
}

/** Closes every pooled connection (tests, and the end of a run). */
export async function closeAllConnections(): Promise<void> {
  const entries = [...pool.values()];
  pool.clear();
  await Promise.all(
    entries.map(async (entry) => {
      clearTimeout(entry.idleTimer);
      try {
        (await entry.client).end();
      } catch {
        // never connected: nothing to close
      }
    }),
  );
}
