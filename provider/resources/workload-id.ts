import type { NodeTarget } from "../spec/node";

/** A component's id: `<host>/<name>`, with `:port` when not 22, or `local/<name>`. */
export function workloadId(node: NodeTarget, name: string): string {
  if (node.local) return `local/${name}`;
  return node.port === 22 ? `${node.host}/${name}` : `${node.host}:${node.port}/${name}`;
}
