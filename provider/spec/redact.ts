/** How a value is shown in an error message: quoted, cut short, never a secret. */
export function showValue(value: unknown, secret = false): string {
  if (secret) return "[secret]";
  if (typeof value === "string") {
    const cut = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(cut);
  }
  if (value === undefined) return "undefined";
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
