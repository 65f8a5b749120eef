// TEST FIXTURE (e2e, pack-install.e2e.test.ts): a user's program in an empty project where
// pulumi-mcp was installed from its `npm pack` tarball. Compiled there with `tsc --noEmit`
// (strict); the @ts-expect-error lines prove the types are real (an `any` would fail them).

import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";

const cfg = new pulumi.Config();

const bastion: mcp.NodeArgs = {
  host: "bastion.example.net",
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: "SHA256:6ggcoScVC9eJ4SjpCnpMJsjCurgk5WYMfMV7afn2lQU",
};
const rift: mcp.NodeArgs = {
  host: "rift.example.net",
  port: 22,
  user: "mcp",
  privateKey: cfg.requireSecret("sshKey"),
  hostKey: "SHA256:6ggcoScVC9eJ4SjpCnpMJsjCurgk5WYMfMV7afn2lQU",
  proxyJump: bastion,
};

const api = new mcp.Component("mcq-api", {
  node: rift,
  service: "mcq",
  name: "api",
  image: "mcr.example.net:8443/mcq:v0.4.0",
  runtime: "container",
  ports: ["127.0.0.1:8443:8443"],
  volumes: ["/srv/mcq:/srv/mcq"],
  cmd: ["server", "--config", "/srv/mcq/mcq.toml"],
  env: { LOG_LEVEL: "info", TOKEN: cfg.requireSecret("token") },
  restart: "unless-stopped",
  stopTimeout: 5,
});

const mcq = new mcp.Service("mcq", {
  node: { host: "orbit.example.net", agent: process.env.SSH_AUTH_SOCK, knownHosts: "…" },
  active: true,
  components: [
    { name: "web", image: "mcr.example.net:8443/mcq-web:v0.4.0", ports: ["8080:80"] },
    {
      name: "vm",
      image: "mcr.example.net:8443/go:v1.0.0",
      runtime: "unikernel",
      accel: "auto",
      memoryMb: 128,
      vcpus: 1,
    },
  ],
});

export const version: pulumi.Output<string> = api.version;
export const container: pulumi.Output<string> = api.containerName;
export const status: pulumi.Output<Record<string, mcp.ComponentStatus>> = mcq.status;
export const tag: string = mcp.extractVersion("mcr.example.net:8443/mcq:v0.4.0");

export const wrongRuntime = new mcp.Component("bad", {
  node: rift,
  service: "mcq",
  name: "bad",
  image: "mcr.example.net:8443/mcq:v0.4.0",
  // @ts-expect-error runtime is "container" or "unikernel"
  runtime: "vm",
});

// @ts-expect-error a node needs a host
export const noHost: mcp.NodeArgs = { port: 22 };

// @ts-expect-error a service needs its components
export const noComponents = new mcp.Service("empty", { node: rift });
