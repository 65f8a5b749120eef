// TEST ENGINE — not shipped. Top-level property differences for summaries and the preview
// display, as the CLI shows them when a provider returns no detailed diff: old inputs against
// new inputs, key by key. Secret values are never copied into a change, only flagged.

import { canonical, displayValue, isSecret, type PropertyMap } from "./property-values";

export interface PropertyChange {
  name: string;
  kind: "add" | "delete" | "update";
  /** Display value (secrets masked as "[secret]", unknowns as "[unknown]"); absent for "add". */
  old?: unknown;
  /** Display value; absent for "delete". */
  new?: unknown;
  /** Either side was secret: old/new then hold only the mask. */
  secret: boolean;
}

/** Never shown: the serialised provider rides along in every property bag. */
const HIDDEN = new Set(["__provider"]);

export function diffProperties(olds: PropertyMap, news: PropertyMap): PropertyChange[] {
  const names = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
  const changes: PropertyChange[] = [];
  for (const name of names) {
    if (HIDDEN.has(name)) continue;
    const before = olds[name];
    const after = news[name];
    if (before === undefined && after === undefined) continue;
    if (before !== undefined && after !== undefined && canonical(before) === canonical(after)) {
      continue;
    }
    const change: PropertyChange = {
      name,
      kind: before === undefined ? "add" : after === undefined ? "delete" : "update",
      secret: isSecret(before) || isSecret(after),
    };
    if (before !== undefined) change.old = displayValue(before);
    if (after !== undefined) change.new = displayValue(after);
    changes.push(change);
  }
  return changes;
}
