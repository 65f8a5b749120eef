import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const httpPort = cfg.getNumber("httpPort") ?? 18081;

// Built and pushed from this machine: podman builds ./app, tags it <repo>:<version> and pushes it,
// unless the registry already holds that tag with this very content.
const image = new mcp.Image("app-image", {
  node: { host: "localhost", local: true },
  context: "app",
  repo: cfg.require("repo"),
  version: cfg.require("version"),
  buildArgs: { BASE: cfg.require("baseImage") },
});

const node: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.getNumber("port") ?? 22,
  user: cfg.get("user") ?? "mcp",
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: cfg.require("hostKey"),
  // false on a node without systemd (the loopback test node): no boot units there.
  bootPersistence: cfg.getBoolean("bootPersistence"),
};

// Runs exactly what was pushed: repo:version@sha256:…
const web = new mcp.Component("app-web", {
  node,
  service: "app",
  name: "web",
  image: image.ref,
  ports: [`127.0.0.1:${httpPort}:8080`],
  stopTimeout: 1,
});

export const ref = image.ref;
export const digest = image.digest;
export const contextHash = image.contextHash;
export const version = web.version;
export const url = pulumi.interpolate`http://127.0.0.1:${httpPort}/`;
