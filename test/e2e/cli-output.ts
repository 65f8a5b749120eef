// TEST ONLY (e2e). Reading what `pulumi preview --diff` / `pulumi up` printed, as a reviewer reads it.

/** The lines that mark a change (`~`, `+`, `-`, `+-`), trimmed, the alignment before ":" collapsed. */
export function changedLines(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => /^\s*(?:[~+-]|\+-|-\+|\+\+|--) \S/.test(line))
    .map((line) => line.trim().replace(/\s+:/, ":"));
}

/**
 * The part of a `--diff` listing about the resource named `name`: from its type line (the one
 * before its `[urn=…::name]` line) up to the next resource's type line or the summary.
 */
export function sectionOf(text: string, name: string): string {
  const lines = text.split("\n");
  const isHeader = (line: string) =>
    /^\s*(?:[~+-]|\+-|-\+|\+\+|--|=)?\s*[\w-]+:[\w/:-]+: \(/.test(line) || /^Resources:/.test(line);
  const urn = lines.findIndex(
    (line) => line.trim().startsWith("[urn=") && line.trim().endsWith(`::${name}]`),
  );
  if (urn < 1) throw new Error(`no [urn=…::${name}] line in:\n${text}`);
  let start = urn - 1;
  while (start > 0 && !isHeader(lines[start] ?? "")) start--;
  let end = urn + 1;
  while (end < lines.length && !isHeader(lines[end] ?? "")) end++;
  return lines.slice(start, end).join("\n");
}
