/**
 * Pulumi's marker for a value not known yet (a preview of another resource's
 * output): the SDK's `unknownValue`, as the engine sends it to a dynamic
 * provider. After `check`, any field of a spec may hold it during a preview.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): value is typeof UNKNOWN {
  return value === UNKNOWN;
}

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object")
    return Object.values(value).some(containsUnknown);
  return false;
}
