import type { CheckFailure } from "./check-component";
import { parsePortSpec } from "./port-spec";
import { propertyName } from "./property-name";
import { isUnknown, UNKNOWN } from "./unknown";

type Key = string | number;
export type Path = readonly Key[];
type Bag = Record<string, unknown>;

/** An unknown value of the inputs and what stood in for it while the known rest was checked. */
interface Hole {
  path: Path;
  /** undefined: the field was left out (its default or absence passes check). */
  standIn: unknown;
}

/** Ids that pass every name rule and that no real input carries. */
const TAG = UNKNOWN.slice(0, 8);
const IMAGE = `${UNKNOWN}:v0`;
const HOST = `${TAG}.invalid`;
const FINGERPRINT = `SHA256:${"0".repeat(43)}`;

function lastName(path: Path): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i];
    if (typeof key === "string") return key;
  }
  return undefined;
}

/** A registry login's fields (credentials.registries[i]): unique servers, so none is "listed twice". */
function registryStandIn(rest: Path): unknown {
  const [index, field] = rest;
  if (index === undefined) return [];
  const server = `${TAG}-${String(index)}.invalid`;
  if (field === undefined) return { server, username: UNKNOWN, password: UNKNOWN };
  return field === "server" ? server : UNKNOWN;
}

/** Node and credential fields: stand-ins that neither fail nor demand other fields. */
function nodeStandIn(path: Path, inCredentials: boolean): unknown {
  const registries = path.indexOf("registries");
  if (inCredentials && registries >= 0) return registryStandIn(path.slice(registries + 1));
  const field = lastName(path);
  if (field === "node" || (field === "proxyJump" && !inCredentials))
    return { host: HOST, local: true };
  if (field === "credentials" || field === "proxyJump") return { privateKey: UNKNOWN };
  if (field === "host") return HOST;
  if (field === "hostKey") return FINGERPRINT;
  if (field === "insecureIgnoreHostKey" || field === "local") return true;
  if (
    field === "privateKey" ||
    field === "passphrase" ||
    field === "agent" ||
    field === "knownHosts"
  )
    return UNKNOWN;
  return undefined;
}

/**
 * Inside a health check: a probed port that the known ports publish (so the
 * rest is still judged), a probe of that port, a valid cmd; other fields are
 * left out (their defaults pass).
 */
function healthcheckStandIn(path: Path, fields: Bag): unknown {
  const [, kind, key] = path;
  const published = Array.isArray(fields.ports)
    ? fields.ports
        .map((text) => (typeof text === "string" ? parsePortSpec(text) : ""))
        .find((port) => typeof port !== "string" && port.protocol === "tcp")
    : undefined;
  const port = typeof published === "object" ? published.containerPort : 1;
  if (kind === "cmd") return path.length === 2 ? [UNKNOWN] : UNKNOWN;
  if (kind === "http" || kind === "tcp") {
    if (path.length === 2) return { port };
    return key === "port" ? port : undefined;
  }
  return undefined;
}

/** A component's field, or a service's own. */
function fieldStandIn(path: Path, fields: Bag, nextPort: () => number): unknown {
  const [field, key] = path;
  if (field === "healthcheck" && path.length > 1) return healthcheckStandIn(path, fields);
  if (path.length > 1) {
    if (field === "ports") return `127.0.0.1:${nextPort()}:1/tcp`;
    if (field === "volumes") return `/${UNKNOWN}/${String(key)}:/${UNKNOWN}/${String(key)}`;
    return UNKNOWN; // a cmd argument, an env value, a secret file's content: the sentinel is valid
  }
  if (field === "image") return IMAGE;
  if (field === "name") return `${TAG}-0`;
  if (field === "service") return TAG;
  if (field === "components") return [{ name: `${TAG}-0`, image: IMAGE }];
  // Unikernel-only fields are refused on containers: do not fail them for an unknown runtime.
  if (field === "runtime")
    return fields.accel !== undefined || fields.binary !== undefined ? "unikernel" : undefined;
  return undefined;
}

/**
 * What stands in for an unknown value at `path` so that check passes for it
 * and judges everything known: the sentinel itself where it is a valid
 * value, else a valid stand-in, else nothing (the field is left out and its
 * default or absence passes). List stand-ins are unique, so they can be
 * found again after check has sorted the list; ports never collide with a
 * known one.
 */
function standInFor(path: Path, input: Bag, nextPort: () => number): unknown {
  const [first, index] = path;
  if (first === "node" || first === "credentials")
    return nodeStandIn(path, first === "credentials");
  // A service's component entry: its own check (checkComponent) deals with unknown fields
  // in it; only a whole entry and its name, which key the service's maps, need stand-ins here.
  if (first === "components" && typeof index === "number") {
    if (path.length === 2) return { name: `${TAG}-${index}`, image: IMAGE };
    return path.length === 3 && path[2] === "name" ? `${TAG}-${index}` : UNKNOWN;
  }
  if (first === "componentEnv" || first === "componentSecretFiles")
    return path.length === 1 ? undefined : path.length === 2 ? {} : UNKNOWN;
  return fieldStandIn(path, input, nextPort);
}

/** Host ports the known port specs use, anywhere in the inputs. */
function knownHostPorts(value: unknown, into = new Set<number>()): Set<number> {
  if (typeof value === "string") {
    const port = parsePortSpec(value);
    if (typeof port !== "string") into.add(port.hostPort);
  } else if (Array.isArray(value)) for (const item of value) knownHostPorts(item, into);
  else if (value !== null && typeof value === "object")
    for (const item of Object.values(value)) knownHostPorts(item, into);
  return into;
}

/** The inputs with every unknown replaced by its stand-in, and where the unknowns were. */
function fillUnknowns(input: Bag): { filled: Bag; holes: Hole[] } {
  const used = knownHostPorts(input);
  let candidate = 65536;
  const nextPort = (): number => {
    do candidate -= 1;
    while (used.has(candidate));
    return candidate;
  };
  const holes: Hole[] = [];
  const fill = (value: unknown, path: Path): unknown => {
    if (isUnknown(value)) {
      const standIn = standInFor(path, input, nextPort);
      if (standIn !== UNKNOWN) holes.push({ path, standIn });
      return standIn;
    }
    if (Array.isArray(value)) return value.map((item, i) => fill(item, [...path, i]));
    if (value === null || typeof value !== "object") return value;
    const out: Bag = {};
    for (const [key, item] of Object.entries(value)) {
      const filled = fill(item, [...path, key]);
      if (filled !== undefined) out[key] = filled;
    }
    return out;
  };
  return { filled: fill(input, []) as Bag, holes };
}

function setAt(target: Bag, path: Path, value: unknown): void {
  let node: Bag = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object") node[key] = {};
    node = node[key] as Bag;
  }
  node[path[path.length - 1] as string] = value;
}

function getAt(target: unknown, path: Path): unknown {
  let node = target;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Bag)[key];
  }
  return node;
}

export type CheckedWithUnknowns<S> =
  | { ok: true; spec: S }
  | { ok: false; failures: CheckFailure[] };

/**
 * Runs `check` on inputs that may hold unknown values (a preview): every
 * known field is validated and normalised as always, and every unknown one
 * comes out as unknown at its place in the checked spec (`where` maps an
 * input path to it, or to undefined when the unknown makes a whole part of
 * the spec unknown: `whole` then says which). Failures are only ever about
 * known values.
 */
export function checkWithUnknowns<S extends object>(
  input: Bag,
  check: (input: Bag) => CheckedWithUnknowns<S>,
  where: (path: Path, input: Bag) => Path | undefined = (path) => path,
  whole: readonly string[] = [],
): CheckedWithUnknowns<S> {
  const { filled, holes } = fillUnknowns(input);
  const outcome = check(filled);
  const holeNames = holes.map((hole) => propertyName(hole.path));
  if (!outcome.ok) {
    const failures = outcome.failures.filter(
      (failure) =>
        !holeNames.some(
          (name) =>
            failure.property === name ||
            failure.property.startsWith(`${name}.`) ||
            failure.property.startsWith(`${name}[`),
        ),
    );
    // Only a stand-in failed (none should): pass the inputs on unchecked rather than fail a preview.
    return failures.length > 0 ? { ok: false, failures } : { ok: true, spec: input as S };
  }
  const spec = structuredClone(outcome.spec) as Bag;
  for (const hole of holes) {
    const at = where(hole.path, input);
    if (at === undefined) {
      for (const field of whole) spec[field] = UNKNOWN;
      continue;
    }
    const list = typeof at[at.length - 1] === "number" ? getAt(spec, at.slice(0, -1)) : undefined;
    if (Array.isArray(list)) {
      const place = list.indexOf(hole.standIn);
      if (place >= 0) list[place] = UNKNOWN;
    } else if (!whole.some((field) => spec[field] === UNKNOWN && at[0] === field)) {
      setAt(spec, at, UNKNOWN);
    }
  }
  return { ok: true, spec: spec as S };
}
