// TEST ONLY (e2e): secretFiles on a Component and on a Service component. The content comes
// from plain (not secret) config on purpose: pulumi-mcp itself must keep it out of state.
import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const node: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.requireNumber("port"),
  user: cfg.require("user"),
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: cfg.require("hostKey"),
  // false on a node without systemd (the loopback test node): no boot units there.
  bootPersistence: cfg.getBoolean("bootPersistence"),
};
const image = cfg.require("image");
const token = cfg.require("token");

const web = new mcp.Component("sfe2e-web", {
  node,
  service: "sfe2e",
  name: "web",
  image,
  secretFiles: { token },
  stopTimeout: 1,
  minUptime: 1,
});

new mcp.Service("sfe2esvc", {
  node,
  components: [{ name: "api", image, secretFiles: { token }, stopTimeout: 1, minUptime: 1 }],
});

export const container = web.containerName;
