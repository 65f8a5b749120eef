import type { ComponentFields } from "./component";

/**
 * How a Service sends its components to the engine, and what that means for
 * `ignoreChanges`.
 *
 * The engine applies `ignoreChanges` to the program's inputs before `check`,
 * resetting each path to its value in the inputs `check` returned last time
 * (state), where `components`, `componentEnv` and `componentSecretFiles` are
 * maps keyed by component name. A path works only where both have the same
 * shape: against a list, `components[0].image` and `components.web.image` both
 * miss (the engine then applies the change anyway, saying only, as an info
 * message, "cannot ignore changes in added or removed elements of the path").
 * So when every component name is a plain string and unique, the Service sends
 * the maps keyed by name itself, and rewrites the paths a user writes
 * (`components[0].image`, `components[0].env.KEY`, `components.web.env.KEY`)
 * to where those fields are (`components.web.image`, `componentEnv.web.KEY`).
 */

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The component names when each is a plain, unique string; else undefined (keep the list). */
export function plainNames(components: ComponentFields[]): string[] | undefined {
  const names = components.map((component) => component.name);
  if (!names.every((name): name is string => typeof name === "string")) return undefined;
  return new Set(names).size === names.length ? names : undefined;
}

/** A list of per-component values as a map keyed by name, when names are plain. */
export function byName<T>(names: string[] | undefined, values: T[]): T[] | Record<string, T> {
  if (!names) return values;
  return Object.fromEntries(names.map((name, index) => [name, values[index] as T]));
}

function key(name: string): string {
  return SIMPLE_KEY.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** `components[0]…` / `components.web…` / `components["web"]…` → [index or name, rest]. */
function componentPath(path: string): [number | string, string] | undefined {
  const match =
    /^components\[(\d+)\](.*)$/.exec(path) ??
    /^components\.([A-Za-z_][A-Za-z0-9_]*)(.*)$/.exec(path) ??
    /^components\["((?:[^"\\]|\\.)*)"\](.*)$/.exec(path);
  if (!match) return undefined;
  const [, which = "", rest = ""] = match;
  if (path.startsWith("components[") && /^\d+$/.test(which)) return [Number(which), rest];
  return [path.startsWith('components["') ? (JSON.parse(`"${which}"`) as string) : which, rest];
}

/**
 * The engine-side paths of a Service's `ignoreChanges`. Throws, naming the
 * path, when one cannot work: it names a component by index or name that the
 * Service does not have, or the names are not plain strings (then the
 * components travel as a list, which no path can reach; see above).
 */
export function serviceIgnoreChanges(
  resource: string,
  components: ComponentFields[],
  names: string[] | undefined,
  paths: string[] | undefined,
): string[] | undefined {
  if (!paths) return paths;
  return paths.map((path) => {
    const parsed = componentPath(path);
    if (!parsed) return path;
    const refuse = (why: string): never => {
      throw new Error(`Service ${resource}: ignoreChanges "${path}" cannot work: ${why}`);
    };
    if (!names)
      refuse(
        'a component name is not a plain string (or names repeat), so the components go to the engine as a list, where it cannot apply a path into them; use ignoreChanges: ["components"] or a Component resource',
      );
    const [which, rest] = parsed;
    const name = typeof which === "number" ? names?.[which] : which;
    if (name === undefined || !names?.includes(name))
      return refuse(
        typeof which === "number"
          ? `the service has ${components.length} component(s)`
          : `the service has no component ${JSON.stringify(which)}`,
      );
    const split = /^\.(env|secretFiles)((?:\.|\[).*)?$/.exec(rest);
    if (split) {
      const map = split[1] === "env" ? "componentEnv" : "componentSecretFiles";
      return `${map}${key(name)}${split[2] ?? ""}`;
    }
    return `components${key(name)}${rest}`;
  });
}
