import { componentOf, type ServiceSpec } from "../spec/service";
import { isUnknown } from "../spec/unknown";
import { type ComponentDiff, diffComponent } from "./component-diff";

/** What `pulumi up` will do to one service, component by component. */
export interface ServiceDiff {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
  added: string[];
  removed: string[];
  /** Changed components and their per-field diff. */
  changed: Record<string, ComponentDiff>;
  activeChanged: boolean;
}

/**
 * The service-level rules follow the component ones: another machine or
 * service name replaces the whole service (as one component would be
 * replaced); everything else converges component by component in place.
 */
export function diffService(olds: ServiceSpec, news: ServiceSpec): ServiceDiff {
  const replaces = new Set<string>();
  if (olds.name !== news.name) replaces.add("name");
  if (olds.node.host !== news.node.host || olds.node.port !== news.node.port) replaces.add("node");
  const activeChanged = olds.active !== news.active;
  // A preview where which components there are is not known yet: an update, unless the above replaces.
  if (isUnknown(news.components)) {
    const changed = {};
    return {
      changes: true,
      replaces: [...replaces],
      deleteBeforeReplace: false,
      added: [],
      removed: [],
      changed,
      activeChanged,
    };
  }
  const added = Object.keys(news.components).filter((name) => !(name in olds.components));
  const removed = Object.keys(olds.components).filter((name) => !(name in news.components));
  const changed: Record<string, ComponentDiff> = {};
  let deleteBeforeReplace = false;

  for (const name of Object.keys(news.components)) {
    if (!(name in olds.components)) continue;
    const diff = diffComponent(componentOf(olds, name), componentOf(news, name));
    if (!diff.changes) continue;
    changed[name] = diff;
    // A runtime change within a service is applied by update (delete, then create that one).
    for (const field of diff.replaces)
      if (field === "node" || field === "service") replaces.add(field);
    if (diff.deleteBeforeReplace && diff.replaces.some((field) => field !== "runtime"))
      deleteBeforeReplace = true;
  }
  replaces.delete("service");
  return {
    changes:
      added.length > 0 ||
      removed.length > 0 ||
      Object.keys(changed).length > 0 ||
      activeChanged ||
      replaces.size > 0,
    replaces: [...replaces],
    deleteBeforeReplace,
    added,
    removed,
    changed,
    activeChanged,
  };
}
