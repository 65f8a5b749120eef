import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const httpPort = cfg.getNumber("httpPort") ?? 18080;

const node: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.getNumber("port") ?? 22,
  user: cfg.get("user") ?? "mcp",
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: cfg.require("hostKey"),
  // false on a node without systemd (the loopback test node): no boot units there.
  bootPersistence: cfg.getBoolean("bootPersistence"),
};

const web = new mcp.Component("hello-web", {
  node,
  service: "hello",
  name: "web",
  image: cfg.require("image"),
  ports: [`127.0.0.1:${httpPort}:8080`],
  volumes: [`/srv/hello:/srv/hello`],
  env: {
    GREETING: cfg.get("greeting") ?? "hello from pulumi-mcp",
    // A secret env value: a Pulumi secret in config, in state and in outputs.
    API_TOKEN: cfg.getSecret("apiToken") ?? "",
  },
  stopTimeout: 1,
});

export const url = pulumi.interpolate`http://127.0.0.1:${httpPort}/`;
export const container = web.containerName;
export const version = web.version;
export const state = web.state;
