import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const httpPort = cfg.getNumber("httpPort") ?? 18081;
const repo = cfg.require("repo");

// A registry that wants a login (the password set with --secret): the build node logs in to push
// there and to ask it for the tag; the node that runs the component logs in to pull.
const registryUser = cfg.get("registryUser");
const registries = registryUser
  ? [
      {
        server: repo.split("/")[0] ?? "",
        username: registryUser,
        password: cfg.requireSecret("registryPassword"),
      },
    ]
  : undefined;

const node: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.getNumber("port") ?? 22,
  user: cfg.get("user") ?? "mcp",
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: cfg.require("hostKey"),
  registries,
  // false on a node without systemd (the loopback test node): no boot units there.
  bootPersistence: cfg.getBoolean("bootPersistence"),
};

// podman builds ./app, tags it <repo>:<version> and pushes it, unless the registry already holds
// that tag with this very content. buildOn "local": on this machine; "node": on the node over SSH
// (the context is sent to it; it pushes from there).
const buildOn = cfg.get("buildOn") ?? "local";
if (buildOn !== "local" && buildOn !== "node") {
  throw new Error(`config buildOn = ${JSON.stringify(buildOn)}: must be local or node`);
}
const image = new mcp.Image("app-image", {
  node: buildOn === "node" ? node : { host: "localhost", local: true, registries },
  context: "app",
  repo,
  version: cfg.require("version"),
  buildArgs: { BASE: cfg.require("baseImage") },
});

// Runs exactly what was pushed: repo:version@sha256:…
const web = new mcp.Component("app-web", {
  node,
  service: cfg.get("service") ?? "app",
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
