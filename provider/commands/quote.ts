/**
 * The one quoting function every remote command goes through. SSH hands the
 * remote login shell a single string; each argv element becomes one
 * single-quoted POSIX word, so no byte of it is ever interpreted.
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteArg(arg: string): string {
  if (arg.includes("\0"))
    throw new Error("a command argument contains a NUL byte, which no shell can carry");
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins argv into the command line an SSH exec request carries. */
export function toCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("empty command");
  return argv.map(quoteArg).join(" ");
}
