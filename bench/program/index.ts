// Benchmark stack for bench/run.sh (not an example to copy): `count` container components on
// each of the nodes in `nodes` (JSON), every one from the same config-driven image, each on its
// own loopback port. Node i runs service `<servicePrefix><letter>` (bencha, benchb, …) with
// components c00, c01, …, so two "nodes" that share one podman never share a container name.
// Config `provider: null` (the sdk-null contender) declares the same resources with the same
// inputs, minus the secret credentials, served by a provider that does nothing
// (bench/null-provider.js); pulumi-mcp is then never loaded.
import * as pulumi from "@pulumi/pulumi";
import type * as Mcp from "pulumi-mcp";

interface BenchNode {
  host: string;
  port: number;
  user: string;
  hostKey: string;
  /** First host port; component i listens on portBase + i. */
  portBase: number;
}

const cfg = new pulumi.Config();
const nodes = cfg.requireObject<BenchNode[]>("nodes");
const count = cfg.requireNumber("count");
const image = cfg.require("image");
const sshKey = cfg.requireSecret("sshKey");
const servicePrefix = cfg.get("servicePrefix") ?? "bench";
// Optional so that a run without them uses the provider's own defaults.
const minUptime = cfg.getNumber("minUptime");
const stopTimeout = cfg.getNumber("stopTimeout");
const maxSessions = cfg.getNumber("maxSessions");
// false on nodes without systemd (the loopback bench nodes): no boot units there.
const bootPersistence = cfg.getBoolean("bootPersistence");
// The unikernel timing (bench.ts): the same stack with runtime "unikernel".
const runtime = cfg.get("runtime") as "container" | "unikernel" | undefined;
const accel = cfg.get("accel") as "auto" | "kvm" | "tcg" | undefined;
const nullProvider = cfg.get("provider") === "null";

/** sdk-null's resource: its type ends in ":Component" like ours (bench/contenders.ts counts those). */
class NullComponent extends pulumi.dynamic.Resource {
  declare readonly containerName: pulumi.Output<string>;
  constructor(name: string, props: Record<string, unknown>) {
    super(require("bench-null-provider"), name, props, undefined, "null", "Component");
  }
}
const mcp: typeof Mcp | undefined = nullProvider ? undefined : require("pulumi-mcp");

export const containers: pulumi.Output<string>[] = [];
nodes.forEach((n, i) => {
  const service = `${servicePrefix}${String.fromCharCode(97 + i)}`;
  const target = {
    host: n.host,
    port: n.port,
    user: n.user,
    hostKey: n.hostKey,
    ...(maxSessions === undefined ? {} : { maxSessions }),
    ...(bootPersistence === undefined ? {} : { bootPersistence }),
  };
  const node: Mcp.NodeArgs = { ...target, privateKey: sshKey };
  for (let c = 0; c < count; c++) {
    const name = `c${String(c).padStart(2, "0")}`;
    const fields = {
      service,
      name,
      image,
      ports: [`127.0.0.1:${n.portBase + c}:8080`],
      ...(minUptime === undefined ? {} : { minUptime }),
      ...(stopTimeout === undefined ? {} : { stopTimeout }),
      ...(runtime === undefined ? {} : { runtime, startTimeout: 120 }),
      ...(accel === undefined ? {} : { accel }),
    };
    const component = mcp
      ? new mcp.Component(`${service}-${name}`, { node, ...fields })
      : new NullComponent(`${service}-${name}`, {
          node: target,
          ...fields,
          containerName: `${service}-${name}`,
        });
    containers.push(component.containerName);
  }
});
