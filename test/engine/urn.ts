// TEST ENGINE — not shipped. URNs as the engine makes them: the type is qualified by the parent's
// type chain, except that the root stack is left out.

export const STACK_TYPE = "pulumi:pulumi:Stack";

export function makeUrn(
  project: string,
  stack: string,
  type: string,
  name: string,
  parentUrn: string,
): string {
  const parentType = parentUrn ? (parentUrn.split("::")[2] ?? "") : "";
  const qualified = parentType && parentType !== STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** The resource's own type and name from its URN. */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  return { type: (parts[2] ?? "").split("$").pop() ?? "", name: parts.slice(3).join("::") };
}
