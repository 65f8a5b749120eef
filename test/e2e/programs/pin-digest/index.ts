// TEST ONLY (e2e, test/e2e/pin-digest.e2e.test.ts): two Components of the same tag (config
// `image`), e2epin-pinned with pinDigest (port 18864) and e2epin-loose without (port 18865).
import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();
const node: mcp.NodeArgs = {
  host: cfg.require("host"),
  port: cfg.requireNumber("port"),
  user: cfg.require("user"),
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: cfg.require("hostKey"),
  bootPersistence: cfg.getBoolean("bootPersistence"),
};
const common = {
  node,
  service: "e2epin",
  image: cfg.require("image"),
  stopTimeout: 1,
  minUptime: 0,
};
const pinned = new mcp.Component("e2epin-pinned", {
  ...common,
  name: "pinned",
  pinDigest: true,
  ports: ["127.0.0.1:18864:8080"],
});
const loose = new mcp.Component("e2epin-loose", {
  ...common,
  name: "loose",
  ports: ["127.0.0.1:18865:8080"],
});

export const pinnedImage = pinned.pinnedImage;
export const pinnedRegistryDigest = pinned.registryDigest;
export const looseImageDigest = loose.imageDigest;
