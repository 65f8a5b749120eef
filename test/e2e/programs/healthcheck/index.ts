// TEST ONLY (e2e, test/e2e/healthcheck.e2e.test.ts): one Component whose health check reads a
// file the test controls, served from a volume; config `servePort` moves the test image's server
// off the published port (a version that runs but never serves). Container e2ehc-web, port 18979.
import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const servePort = cfg.get("servePort");
const web = new mcp.Component("e2ehc-web", {
  node: {
    host: cfg.require("host"),
    port: cfg.requireNumber("port"),
    user: cfg.require("user"),
    privateKey: cfg.requireSecret("sshKey"),
    hostKey: cfg.require("hostKey"),
    bootPersistence: cfg.getBoolean("bootPersistence"),
  },
  service: "e2ehc",
  name: "web",
  image: cfg.require("image"),
  ports: ["127.0.0.1:18979:8080"],
  volumes: [`${cfg.require("healthDir")}:/www/health`],
  env: servePort ? { PORT: servePort } : {},
  stopTimeout: 1,
  minUptime: 1,
  startTimeout: 40,
  healthcheck: { http: { port: 8080, path: "/health/ready" }, interval: 1, retries: 3 },
});

export const state = web.state;
export const version = web.version;
