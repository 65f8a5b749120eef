import { withPrivilege } from "../commands/privilege";
import type { NodeCredentials, NodeTarget } from "../spec/node";
import { LocalTransport } from "./local-transport";
import { SshTransport } from "./ssh-transport";
import type { Transport } from "./types";

export { allCounters } from "./counters";
export { closeAllConnections } from "./ssh-transport";
export type { CommandResult, HeldCommand, RunOptions, Transport } from "./types";
export { CommandEnded, TransportError } from "./types";

/** The transport for a node. Nothing connects until the first command runs. */
export function transportFor(
  node: NodeTarget,
  credentials: NodeCredentials | undefined,
): Transport {
  const transport = node.local ? new LocalTransport(node) : new SshTransport(node, credentials);
  if (!node.sudo) return transport;
  return {
    label: `${transport.label} (sudo)`,
    run: (argv, options) => transport.run(withPrivilege(argv, true), options),
    ready: () => transport.ready(),
    hold: (argv, options) => transport.hold(withPrivilege(argv, true), options),
  };
}
