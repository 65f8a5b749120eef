/**
 * True when a failed podman command failed only because some of the objects it
 * was given are not there: each of its `Error:` lines matches `missing`, and
 * there is at least one. Other lines are not podman's (a login shell's rc file
 * printing on stderr, as pyenv's shims do) and decide nothing.
 */
export function failedOnlyForMissing(stderr: string, missing: RegExp): boolean {
  const errors = stderr.split("\n").filter((line) => /^\s*Error:/.test(line));
  return errors.length > 0 && errors.every((line) => missing.test(line));
}
