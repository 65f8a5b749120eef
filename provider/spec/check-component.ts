import type { z } from "zod";
import { healthcheckFailures } from "./check-healthcheck";
import { checkWithUnknowns } from "./check-known";
import { normaliseSecretFiles, secretFileFailures } from "./check-secret-files";
import { applyRuntimeRules, type CheckRules, defaultRestart } from "./check-unikernel";
import {
  type ComponentSpec,
  componentInputsSchema,
  DEFAULT_LOG_MAX_SIZE,
  ENV_KEY,
  wantedBootUnit,
} from "./component";
import { parseImageRef, unpinnedReason } from "./image-ref";
import { LIMITS } from "./limits";
import { nodeProblems } from "./node";
import { formatPortSpec, type PortSpec, parsePortSpec, portsCollide } from "./port-spec";
import { propertyName } from "./property-name";
import { showValue } from "./redact";
import { containsUnknown, isUnknown } from "./unknown";
import { formatVolumeSpec, parseVolumeSpec } from "./volume-spec";

export interface CheckFailure {
  property: string;
  reason: string;
}

export type CheckOutcome =
  | { ok: true; spec: ComponentSpec }
  | { ok: false; failures: CheckFailure[] };

/** A registry login's server or username: shown in errors (its password never is). */
function isRegistryName(path: readonly PropertyKey[]): boolean {
  return path[1] === "registries" && (path[3] === "server" || path[3] === "username");
}

/** Paths whose values must never be shown: credentials, every env value and every secret file. */
function isSecretPath(path: readonly PropertyKey[]): boolean {
  if (path[0] === "credentials") return !isRegistryName(path);
  return path[0] === "env" || path[0] === "secretFiles";
}

/** Registry logins are given as `node.registries` (node-args.ts splits them into credentials). */
function userPath(path: readonly PropertyKey[]): readonly PropertyKey[] {
  return path[0] === "credentials" && path[1] === "registries" ? ["node", ...path.slice(1)] : path;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

export function zodFailures(input: unknown, error: z.ZodError): CheckFailure[] {
  return error.issues.map((issue) => {
    const property = propertyName(userPath(issue.path));
    const value = valueAt(input, issue.path);
    const shown = isSecretPath(issue.path) ? "[secret]" : showValue(value);
    const reason =
      issue.code === "unrecognized_keys"
        ? `${property || "inputs"} has unknown field(s) ${issue.keys.join(", ")}`
        : `${property} ${value === undefined ? "is required" : `= ${shown}`}: ${issue.message}`;
    return { property: property || "inputs", reason };
  });
}

function hasNul(text: string): boolean {
  return text.includes("\0");
}

/** Checks the pieces zod cannot: image pinning, port and volume grammar, env keys, sizes, NULs. */
function domainFailures(parsed: z.output<typeof componentInputsSchema>): {
  failures: CheckFailure[];
  ports: string[];
  volumes: string[];
} {
  const failures: CheckFailure[] = [];
  const fail = (property: string, value: string, reason: string, secret = false): void => {
    failures.push({ property, reason: `${property} = ${showValue(value, secret)}: ${reason}` });
  };

  const image = parseImageRef(parsed.image);
  if (typeof image === "string")
    fail("image", parsed.image, `is not an image reference: it ${image}`);
  else {
    const unpinned = unpinnedReason(image);
    if (unpinned) fail("image", parsed.image, `is not pinned: it ${unpinned}`);
  }

  const ports: PortSpec[] = [];
  for (const [index, spec] of parsed.ports.entries()) {
    const port = parsePortSpec(spec);
    if (typeof port === "string") {
      fail(`ports[${index}]`, spec, `port spec ${port}`);
      continue;
    }
    const clash = ports.find((other) => portsCollide(other, port));
    if (clash) {
      fail(
        `ports[${index}]`,
        spec,
        `host port ${port.hostPort}/${port.protocol} is published twice`,
      );
      continue;
    }
    ports.push(port);
  }

  const volumes: string[] = [];
  for (const [index, spec] of parsed.volumes.entries()) {
    const volume = parseVolumeSpec(spec);
    if (typeof volume === "string") fail(`volumes[${index}]`, spec, `volume spec ${volume}`);
    else volumes.push(formatVolumeSpec(volume));
  }

  const envEntries = Object.entries(parsed.env);
  if (envEntries.length > LIMITS.envKeys) {
    failures.push({
      property: "env",
      reason: `env has ${envEntries.length} keys, more than ${LIMITS.envKeys}`,
    });
  }
  let envBytes = 0;
  for (const [key, value] of envEntries) {
    if (!ENV_KEY.test(key)) fail(`env`, key, "env key must match [A-Za-z_][A-Za-z0-9_]*");
    const bytes = Buffer.byteLength(value);
    envBytes += bytes + key.length;
    if (bytes > LIMITS.envValueBytes) {
      fail(`env.${key}`, value, `is ${bytes} bytes, more than ${LIMITS.envValueBytes}`, true);
    }
    if (hasNul(value)) fail(`env.${key}`, value, "contains a NUL byte", true);
  }
  if (envBytes > LIMITS.envTotalBytes) {
    failures.push({
      property: "env",
      reason: `env holds ${envBytes} bytes, more than ${LIMITS.envTotalBytes}`,
    });
  }

  failures.push(...secretFileFailures(parsed.secretFiles));

  for (const [index, arg] of parsed.cmd.entries()) {
    if (hasNul(arg)) fail(`cmd[${index}]`, arg, "contains a NUL byte");
    if (Buffer.byteLength(arg) > LIMITS.cmdArgBytes) {
      fail(`cmd[${index}]`, arg, `is longer than ${LIMITS.cmdArgBytes} bytes`);
    }
  }

  if (parsed.after?.includes(parsed.name)) {
    fail("after", parsed.name, "a component cannot start after itself");
  }

  if (`${parsed.service}-${parsed.name}`.length > LIMITS.nameLength * 2) {
    failures.push({ property: "name", reason: "service and component name together are too long" });
  }

  return {
    failures,
    ports: ports.map(formatPortSpec).sort(),
    volumes: volumes.sort(),
  };
}

/**
 * Validates and normalises component inputs, so that an omitted default and an
 * explicit one, or two orderings of ports, volumes and env, give equal specs.
 * Every failure names the field and shows the bad value (secrets redacted).
 */
export function checkComponent(input: unknown, rules: CheckRules = "inputs"): CheckOutcome {
  if (input !== null && typeof input === "object" && containsUnknown(input)) {
    const bag = input as Record<string, unknown>;
    // The health check's port must be among the ports, its start period within startTimeout:
    // judged only when those are known.
    const crossFieldsKnown = !containsUnknown(bag.ports) && !isUnknown(bag.startTimeout);
    return checkWithUnknowns(bag, (known) => checkKnownComponent(known, rules, crossFieldsKnown));
  }
  return checkKnownComponent(input, rules);
}

function checkKnownComponent(
  input: unknown,
  rules: CheckRules,
  crossFieldsKnown = true,
): CheckOutcome {
  const parsed = componentInputsSchema.safeParse(input);
  if (!parsed.success) return { ok: false, failures: zodFailures(input, parsed.error) };
  const domain = domainFailures(parsed.data);
  const failures = [
    ...domain.failures,
    ...nodeProblems(parsed.data.node, parsed.data.credentials, "node"),
  ];
  if (failures.length > 0) return { ok: false, failures };
  const env = Object.fromEntries(
    Object.entries(parsed.data.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const restart = parsed.data.restart ?? defaultRestart(parsed.data.runtime);
  // Inputs never set bootUnit (it is derived); state keeps what refresh saw.
  const bootUnit =
    rules === "state" && parsed.data.bootUnit
      ? parsed.data.bootUnit
      : wantedBootUnit({ node: parsed.data.node, restart });
  const spec: ComponentSpec = {
    ...parsed.data,
    restart,
    ports: domain.ports,
    volumes: domain.volumes,
    env,
    bootUnit,
  };
  // false and absent are one spec (so turning it off explicitly is no diff against never on).
  if (!spec.pinDigest) delete spec.pinDigest;
  const secretFiles = normaliseSecretFiles(parsed.data.secretFiles);
  if (secretFiles) spec.secretFiles = secretFiles;
  else delete spec.secretFiles;
  // Containers only: a VM's logMaxSize is refused (check-unikernel), not filled in.
  if (spec.runtime === "container") spec.logMaxSize ??= DEFAULT_LOG_MAX_SIZE;
  const health = healthcheckFailures(spec, crossFieldsKnown);
  const outcome = applyRuntimeRules(spec, rules);
  if (health.length === 0) return outcome;
  return { ok: false, failures: [...(outcome.ok ? [] : outcome.failures), ...health] };
}
