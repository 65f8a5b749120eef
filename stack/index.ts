import * as pulumi from "@pulumi/pulumi";
import * as mcp from "pulumi-mcp";
import { parseFleetConfig } from "./fleet-config";

// One program for every environment: Pulumi.dev.yaml and Pulumi.prod.yaml
// say which nodes exist and what runs where; secrets are Pulumi secrets.
const cfg = new pulumi.Config();
const project = pulumi.getProject();
const fleet = parseFleetConfig(project, {
  nodes: cfg.requireObject("nodes"),
  services: cfg.requireObject("services"),
});
const sshKey = cfg.requireSecret("sshKey");
const secretEnv =
  cfg.getSecretObject<Record<string, Record<string, Record<string, string>>>>("secretEnv");

function nodeArgs(name: string): mcp.NodeArgs {
  const node = fleet.nodes[name];
  if (!node) throw new Error(`unknown node ${name}`); // parseFleetConfig has checked this
  return node.local ? { ...node } : { ...node, privateKey: sshKey };
}

export const services: Record<string, pulumi.Output<Record<string, mcp.ComponentStatus>>> = {};
for (const [name, service] of Object.entries(fleet.services)) {
  const deployed = new mcp.Service(name, {
    node: nodeArgs(service.node),
    active: service.active,
    components: service.components.map((component) => ({
      ...component,
      env: secretEnv
        ? pulumi
            .all([secretEnv])
            .apply(([all]) => ({ ...component.env, ...(all?.[name]?.[component.name] ?? {}) }))
        : component.env,
    })),
  });
  services[name] = deployed.status;
}
