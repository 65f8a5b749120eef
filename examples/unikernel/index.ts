import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const httpPort = cfg.getNumber("httpPort") ?? 18120;
const accel = cfg.get("accel") ?? "auto";
if (accel !== "auto" && accel !== "kvm" && accel !== "tcg") {
  throw new Error(`config accel = ${JSON.stringify(accel)}: expected auto, kvm or tcg`);
}

const node: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.getNumber("port") ?? 22,
  user: cfg.get("user") ?? "mcp",
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: cfg.require("hostKey"),
  // false on a node without systemd (the loopback test node): no boot units there.
  bootPersistence: cfg.getBoolean("bootPersistence"),
};

// The image's static ELF is taken out of the OCI image, `ops build` makes a Nanos disk image of
// it, and QEMU boots it on the node with a port forward bound to 127.0.0.1 (like podman's -p).
const web = new mcp.Component("hello-unikernel", {
  node,
  service: cfg.get("service") ?? "hellouni",
  name: "web",
  runtime: "unikernel",
  image: cfg.require("image"),
  accel,
  ports: [`127.0.0.1:${httpPort}:8080`],
  env: { GREETING: "hello from a unikernel" },
  memoryMb: 128,
  vcpus: 1,
  stopTimeout: 2,
  startTimeout: 60,
});

export const url = `http://127.0.0.1:${httpPort}/`;
export const vm = web.containerName;
export const version = web.version;
export const state = web.state;
