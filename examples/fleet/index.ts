import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const image = cfg.require("image");
// Components are versioned one by one: the frontend's api may run another release than the rest.
const apiImage = cfg.get("apiImage") || image;
const prefix = cfg.get("prefix") ?? "";
const basePort = cfg.getNumber("basePort") ?? 18130;
const dataDir = cfg.get("dataDir") ?? "/srv";
const sshKey = cfg.requireSecret("sshKey");

// The edge node is reachable from here; the inner node only from the edge, so every connection
// to it goes through the edge's SSH connection (like `ssh -J edge inner`).
const edge: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.getNumber("port") ?? 22,
  user: cfg.get("user") ?? "mcp",
  privateKey: sshKey,
  hostKey: cfg.require("hostKey"),
  // false on a node without systemd (the loopback test node): no boot units there.
  bootPersistence: cfg.getBoolean("bootPersistence"),
};
const inner: mcp.NodeArgs = {
  host: cfg.require("innerHost"),
  port: cfg.getNumber("innerPort") ?? 22,
  user: cfg.get("user") ?? "mcp",
  privateKey: sshKey,
  hostKey: cfg.require("innerHostKey"),
  bootPersistence: cfg.getBoolean("bootPersistence"),
  proxyJump: edge,
};

const port = (offset: number) => `127.0.0.1:${basePort + offset}:8080`;
const services = {
  frontend: new mcp.Service("frontend", {
    node: edge,
    name: `${prefix}frontend`,
    components: [
      { name: "web", image, ports: [port(0)], env: { ROLE: "frontend web" }, stopTimeout: 1 },
      {
        name: "api",
        image: apiImage,
        ports: [port(1)],
        env: { ROLE: "frontend api" },
        stopTimeout: 1,
      },
    ],
  }),
  metrics: new mcp.Service("metrics", {
    node: inner,
    name: `${prefix}metrics`,
    components: [
      {
        name: "collector",
        image,
        ports: [port(2)],
        volumes: [`${dataDir}/${prefix}metrics:/data`],
        env: { ROLE: "metrics collector" },
        stopTimeout: 1,
      },
    ],
  }),
  docs: new mcp.Service("docs", {
    node: inner,
    name: `${prefix}docs`,
    components: [
      { name: "site", image, ports: [port(3)], env: { ROLE: "docs site" }, stopTimeout: 1 },
    ],
  }),
};

export const status = Object.fromEntries(
  Object.entries(services).map(([name, service]) => [name, service.status]),
);
