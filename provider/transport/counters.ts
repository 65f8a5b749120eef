import type { TransportCounters } from "./types";

/** Per-node transport counters for the whole provider process. */
const countersByNode = new Map<string, TransportCounters>();

export function countersFor(label: string): TransportCounters {
  let counters = countersByNode.get(label);
  if (!counters) {
    counters = { handshakes: 0, channels: 0, bytesOut: 0, bytesIn: 0 };
    countersByNode.set(label, counters);
  }
  return counters;
}

export function allCounters(): ReadonlyMap<string, TransportCounters> {
  return countersByNode;
}

/** `PULUMI_MCP_TRACE=1` prints each node's counters to stderr as the connection closes. */
export function traceCounters(label: string): void {
  if (process.env.PULUMI_MCP_TRACE !== "1") return;
  const c = countersFor(label);
  process.stderr.write(
    `pulumi-mcp trace ${label}: handshakes=${c.handshakes} channels=${c.channels} bytesOut=${c.bytesOut} bytesIn=${c.bytesIn}\n`,
  );
}
