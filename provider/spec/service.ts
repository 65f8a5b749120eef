import { z } from "zod";
import { type CheckFailure, checkComponent } from "./check-component";
import { checkWithUnknowns, type Path } from "./check-known";
import type { CheckRules } from "./check-unikernel";
import { type ComponentSpec, NAME, revisionsSchema } from "./component";
import { LIMITS } from "./limits";
import {
  type NodeCredentials,
  type NodeTarget,
  nodeCredentialsSchema,
  nodeTargetSchema,
} from "./node";
import { parsePortSpec, portsCollide } from "./port-spec";
import { showValue } from "./redact";
import { containsUnknown, isUnknown, UNKNOWN } from "./unknown";

/** One component of a service as stored: its fields without node, service, env and secret files. */
export type ServiceComponent = Omit<
  ComponentSpec,
  "node" | "credentials" | "service" | "env" | "secretFiles" | "revisions"
>;

/** A service after check: components and their env keyed by component name. */
export interface ServiceSpec {
  node: NodeTarget;
  credentials?: NodeCredentials;
  name: string;
  active: boolean;
  /** Take over running workloads of these names at create (see ComponentSpec.adopt). */
  adopt?: boolean;
  /** As ComponentSpec.revisions, keys prefixed with the component name; state only. */
  revisions?: Record<string, number | typeof UNKNOWN>;
  components: Record<string, ServiceComponent>;
  /** Each component's env, apart from the rest so that it alone is a secret. */
  componentEnv: Record<string, Record<string, string>>;
  /** The secret files of the components that have any, apart for the same reason. */
  componentSecretFiles: Record<string, Record<string, string>>;
}

const componentList = z.union([
  z.array(z.record(z.string(), z.unknown())),
  z.record(z.string(), z.record(z.string(), z.unknown())),
]);
const envList = z.union([
  z.array(z.record(z.string(), z.string())),
  z.record(z.string(), z.record(z.string(), z.string())),
]);

export const serviceInputsSchema = z.strictObject({
  node: nodeTargetSchema,
  credentials: nodeCredentialsSchema.optional(),
  name: z
    .string()
    .max(LIMITS.nameLength)
    .regex(NAME, "must start with a letter or digit and hold only letters, digits, _ . and -"),
  active: z.boolean().default(true),
  adopt: z.boolean().optional(),
  revisions: revisionsSchema.optional(),
  components: componentList,
  componentEnv: envList.default([]),
  componentSecretFiles: envList.default([]),
});

export type ServiceCheckOutcome =
  | { ok: true; spec: ServiceSpec }
  | { ok: false; failures: CheckFailure[] };

/** The full component spec of one service component. */
export function componentOf(service: ServiceSpec, name: string): ComponentSpec {
  const fields = service.components[name];
  if (!fields) throw new Error(`service ${service.name} has no component ${name}`);
  // In a preview, a whole map may be unknown: then so is each component's part of it.
  const env = isUnknown(service.componentEnv) ? UNKNOWN : service.componentEnv[name];
  const secretFiles = isUnknown(service.componentSecretFiles)
    ? UNKNOWN
    : service.componentSecretFiles[name];
  return {
    ...fields,
    node: service.node,
    credentials: service.credentials,
    service: service.name,
    ...(service.adopt !== undefined ? { adopt: service.adopt } : {}),
    env: (env ?? {}) as Record<string, string>,
    ...(secretFiles ? { secretFiles: secretFiles as Record<string, string> } : {}),
  };
}

/** Entries as [where, fields, env, secret files]: `components[i]` for the user's list, `components.<name>` for a checked map. */
function entriesOf(
  components: z.output<typeof componentList>,
  env: z.output<typeof envList>,
  files: z.output<typeof envList>,
) {
  if (Array.isArray(components)) {
    return components.map((fields, index) => ({
      where: `components[${index}]`,
      fields: fields as Record<string, unknown>,
      env: (Array.isArray(env) ? env[index] : undefined) ?? fields.env ?? {},
      secretFiles: (Array.isArray(files) ? files[index] : undefined) ?? fields.secretFiles,
    }));
  }
  return Object.entries(components).map(([name, fields]) => ({
    where: `components.${name}`,
    fields: { ...fields, name } as Record<string, unknown>,
    env: (Array.isArray(env) ? undefined : env[name]) ?? {},
    secretFiles: Array.isArray(files) ? undefined : files[name],
  }));
}

function renameProperty(failure: CheckFailure, where: string): CheckFailure {
  if (failure.property === "node" || failure.property.startsWith("node.")) return failure;
  return { property: `${where}.${failure.property}`, reason: `${where}.${failure.reason}` };
}

/**
 * Boot order and boot units of a service's components: a component without
 * `after` starts after every component declared before it (except those that
 * an explicit `after` already puts after it); `after` must name other
 * components of the service, without a cycle. A stopped service (active:
 * false) wants no boot units. Returns the failures.
 */
function orderComponents(
  spec: ServiceSpec,
  declared: readonly string[],
  active: boolean,
  rules: CheckRules,
): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const [index, name] of declared.entries()) {
    const component = spec.components[name] as ServiceComponent;
    component.after ??= declared
      .slice(0, index)
      .filter((earlier) => !startsAfter(spec.components, earlier, name));
    if (!active && rules === "inputs") component.bootUnit = "none";
    for (const other of component.after) {
      if (other === name || !(other in spec.components)) {
        failures.push({
          property: `components.${name}.after`,
          reason: `components.${name}.after = ${showValue(other)}: ${other === name ? "a component cannot start after itself" : `service ${spec.name} has no component of that name`}`,
        });
      }
    }
  }
  const cycle = afterCycle(spec.components);
  if (failures.length === 0 && cycle) {
    failures.push({
      property: `components.${cycle[0]}.after`,
      reason: `components.${cycle[0]}.after: the boot order has a cycle: ${cycle.join(" → ")}`,
    });
  }
  return failures;
}

/** Whether `from` starts after `target`, directly or through others (the `after` known so far). */
function startsAfter(
  components: Record<string, ServiceComponent>,
  from: string,
  target: string,
  seen = new Set<string>(),
): boolean {
  if (seen.has(from)) return false;
  seen.add(from);
  return (components[from]?.after ?? []).some(
    (other) => other === target || startsAfter(components, other, target, seen),
  );
}

/** A cycle in the components' `after` relation, as names from start back to it, if any. */
function afterCycle(components: Record<string, ServiceComponent>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
    if (done.has(name)) return undefined;
    for (const other of components[name]?.after ?? []) {
      const cycle = visit(other, [...path, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of Object.keys(components)) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Validates and normalises a service: each component through the component
 * rules, plus names unique within the service and no host port used twice.
 */
export function checkService(input: unknown, rules: CheckRules = "inputs"): ServiceCheckOutcome {
  if (input !== null && typeof input === "object" && containsUnknown(input))
    return checkWithUnknowns(
      input as Record<string, unknown>,
      (known) => checkKnownService(known, rules),
      checkedPath,
      ["components", "componentEnv", "componentSecretFiles"],
    );
  return checkKnownService(input, rules);
}

/**
 * Where an unknown input that needed a stand-in at service level lands in
 * the checked spec, keyed by component name; undefined when it is a whole
 * component entry or a component's name (then which components there are
 * is not known: all of them are unknown). Unknown fields inside a component
 * are its own check's business.
 */
function checkedPath(path: Path, input: Record<string, unknown>): Path | undefined {
  const [first, index] = path;
  if (first === "components") return undefined;
  if (typeof index !== "number") return path;
  const entries = input.components;
  const name = Array.isArray(entries)
    ? (entries[index] as Record<string, unknown>)?.name
    : undefined;
  if (typeof name !== "string" || isUnknown(name)) return undefined;
  return [first as string, name, ...path.slice(2)];
}

function checkKnownService(input: unknown, rules: CheckRules): ServiceCheckOutcome {
  const parsed = serviceInputsSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      failures: parsed.error.issues.map((issue) => {
        const property = issue.path.map(String).join(".") || "inputs";
        return { property, reason: `${property}: ${issue.message}` };
      }),
    };
  }
  const { node, credentials, name: service, active, adopt, revisions } = parsed.data;
  const failures: CheckFailure[] = [];
  const seen = new Set<string>();
  /** Component names in the order the inputs list them (a map would put numeric names first). */
  const declared: string[] = [];
  const spec: ServiceSpec = {
    node,
    credentials,
    name: service,
    active,
    ...(adopt !== undefined ? { adopt } : {}),
    ...(revisions !== undefined ? { revisions } : {}),
    components: {},
    componentEnv: {},
    componentSecretFiles: {},
  };
  const entries = entriesOf(
    parsed.data.components,
    parsed.data.componentEnv,
    parsed.data.componentSecretFiles,
  );
  if (entries.length === 0)
    failures.push({
      property: "components",
      reason: "components: a service needs at least one component",
    });

  for (const entry of entries) {
    const { env: _inline, secretFiles: _inlineFiles, ...fields } = entry.fields;
    const outcome = checkComponent(
      { ...fields, env: entry.env, secretFiles: entry.secretFiles, node, credentials, service },
      rules,
    );
    if (!outcome.ok) {
      for (const failure of outcome.failures) {
        const renamed = renameProperty(failure, entry.where);
        if (!failures.some((f) => f.property === renamed.property && f.reason === renamed.reason))
          failures.push(renamed);
      }
      continue;
    }
    const { node: _n, credentials: _c, service: _s, env, secretFiles, ...component } = outcome.spec;
    if (seen.has(component.name)) {
      failures.push({
        property: `${entry.where}.name`,
        reason: `${entry.where}.name = ${showValue(component.name)}: another component of service ${service} has this name`,
      });
      continue;
    }
    seen.add(component.name);
    declared.push(component.name);
    spec.components[component.name] = component;
    spec.componentEnv[component.name] = env;
    if (secretFiles) spec.componentSecretFiles[component.name] = secretFiles;
  }

  failures.push(...orderComponents(spec, declared, active, rules));

  const published = Object.entries(spec.components).flatMap(([name, component]) =>
    component.ports.map((text) => ({ name, text, port: parsePortSpec(text) })),
  );
  for (const [index, a] of published.entries()) {
    for (const b of published.slice(index + 1)) {
      if (typeof a.port === "string" || typeof b.port === "string" || a.name === b.name) continue;
      if (portsCollide(a.port, b.port)) {
        failures.push({
          property: `components.${b.name}.ports`,
          reason: `components.${b.name}.ports = ${showValue(b.text)}: host port ${b.port.hostPort} is also published by component ${a.name}`,
        });
      }
    }
  }
  return failures.length > 0 ? { ok: false, failures } : { ok: true, spec };
}
