// Benchmark stack for bench/run.sh (not an example to copy): `count` container components on
// each of the nodes in `nodes` (JSON), every one from the same config-driven image, each on its
// own loopback port. Node i runs service `<servicePrefix><letter>` (bencha, benchb, …) with
// components c00, c01, …, so two "nodes" that share one podman never share a container name.
import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

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

export const containers: pulumi.Output<string>[] = [];
nodes.forEach((n, i) => {
  const service = `${servicePrefix}${String.fromCharCode(97 + i)}`;
  const node: mcp.NodeArgs = {
    host: n.host,
    port: n.port,
    user: n.user,
    privateKey: sshKey,
    hostKey: n.hostKey,
    ...(maxSessions === undefined ? {} : { maxSessions }),
    ...(bootPersistence === undefined ? {} : { bootPersistence }),
  };
  for (let c = 0; c < count; c++) {
    const name = `c${String(c).padStart(2, "0")}`;
    const component = new mcp.Component(`${service}-${name}`, {
      node,
      service,
      name,
      image,
      ports: [`127.0.0.1:${n.portBase + c}:8080`],
      ...(minUptime === undefined ? {} : { minUptime }),
      ...(stopTimeout === undefined ? {} : { stopTimeout }),
      ...(runtime === undefined ? {} : { runtime, startTimeout: 120 }),
      ...(accel === undefined ? {} : { accel }),
    });
    containers.push(component.containerName);
  }
});
