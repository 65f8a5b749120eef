import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const image = cfg.require("image");
// Components are versioned one by one: the worker may run another release than the rest.
const workerImage = cfg.get("workerImage") ?? image;
const basePort = cfg.getNumber("basePort") ?? 18110;
const dataDir = cfg.get("dataDir") ?? "/srv/shop";

// A private registry: the node logs in before pulling from it (the password set with --secret).
const registryServer = cfg.get("registryServer");

const node: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.getNumber("port") ?? 22,
  user: cfg.get("user") ?? "mcp",
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: cfg.require("hostKey"),
  ...(registryServer
    ? {
        registries: [
          {
            server: registryServer,
            username: cfg.require("registryUser"),
            password: cfg.requireSecret("registryPassword"),
          },
        ],
      }
    : {}),
  // false on a node without systemd (the loopback test node): no boot units there.
  bootPersistence: cfg.getBoolean("bootPersistence"),
};

// One service, three components: <service>-web, <service>-api and <service>-worker on one node,
// converged as a whole (new ones created, removed ones deleted, changed ones updated in place).
const shop = new mcp.Service("shop", {
  node,
  name: cfg.get("service") ?? "shop",
  components: [
    {
      name: "web",
      image,
      ports: [`127.0.0.1:${basePort}:8080`],
      env: { ROLE: "web" },
      stopTimeout: 1,
    },
    {
      name: "api",
      image,
      ports: [`127.0.0.1:${basePort + 1}:8080`],
      volumes: [`${dataDir}/api:/data`],
      env: { ROLE: "api", API_TOKEN: cfg.requireSecret("apiToken") },
      stopTimeout: 1,
      // Up only once it answers /version with 200; an update that never does is rolled back.
      healthcheck: { http: { port: 8080, path: "/version" }, interval: 1, retries: 5 },
      // true: the tag is resolved to its digest at deploy and exactly that runs, also after a
      // restart or a reboot; a tag re-pushed later shows at refresh (needs skopeo on the node).
      pinDigest: cfg.getBoolean("pinDigest") ?? false,
    },
    {
      name: "worker",
      image: workerImage,
      ports: [`127.0.0.1:${basePort + 2}:8080`],
      cmd: ["--queue", "default"],
      env: { ROLE: "worker" },
      restart: "on-failure",
      stopTimeout: 1,
    },
  ],
});

export const urls = {
  web: `http://127.0.0.1:${basePort}/`,
  api: `http://127.0.0.1:${basePort + 1}/`,
  worker: `http://127.0.0.1:${basePort + 2}/`,
};
export const status = shop.status;
