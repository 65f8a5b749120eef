import { specFrom } from "../resources/component-state";
import { serviceSpecFrom } from "../resources/service-state";
import type { ComponentSpec } from "../spec/component";
import { componentOf } from "../spec/service";

const COMPONENT_TYPE = "pulumi-nodejs:dynamic/mcp:Component";
const SERVICE_TYPE = "pulumi-nodejs:dynamic/mcp:Service";
/** The key by which Pulumi's state marks a secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

interface ExportedResource {
  urn?: string;
  type?: string;
  outputs?: Record<string, unknown>;
}

/**
 * A secret of `pulumi stack export --show-secrets` is `{<sig>: …, plaintext:
 * "<JSON>"}`: its value, in memory only. One still encrypted (`ciphertext`,
 * an export without --show-secrets) is left out.
 */
function revealed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealed);
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  if (SECRET_SIG in object) {
    return typeof object.plaintext === "string"
      ? revealed(JSON.parse(object.plaintext))
      : undefined;
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, revealed(inner)]));
}

/**
 * The component SERVICE/COMPONENT of a stack, from `pulumi stack export`'s
 * JSON: a `Component` of that service and name, or that component of a
 * `Service`. Its node and credentials come from the resource's state, as
 * refresh and destroy use them. Errors name what was looked for, never a value.
 */
export function workloadOfStack(
  exported: unknown,
  service: string,
  component: string,
): ComponentSpec {
  const resources =
    (exported as { deployment?: { resources?: ExportedResource[] } })?.deployment?.resources ?? [];
  const ours = resources.filter((r) => r.type === COMPONENT_TYPE || r.type === SERVICE_TYPE);
  for (const resource of ours) {
    const outputs = resource.outputs ?? {};
    if (
      resource.type === COMPONENT_TYPE &&
      outputs.service === service &&
      outputs.name === component
    ) {
      return specFrom(revealed(outputs) as Record<string, unknown>, "state");
    }
    if (resource.type === SERVICE_TYPE && outputs.name === service) {
      const spec = serviceSpecFrom(revealed(outputs) as Record<string, unknown>, "state");
      if (component in spec.components) return componentOf(spec, component);
    }
  }
  const known = ours.flatMap((r) => {
    const o = r.outputs ?? {};
    if (r.type === COMPONENT_TYPE) return [`${String(o.service)}/${String(o.name)}`];
    return Object.keys((o.components as Record<string, unknown>) ?? {}).map(
      (c) => `${String(o.name)}/${c}`,
    );
  });
  throw new Error(
    `the stack has no component ${service}/${component}${known.length > 0 ? ` (it has ${known.sort().join(", ")})` : " (it has no pulumi-mcp Component or Service)"}`,
  );
}
