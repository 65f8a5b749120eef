/** Prefixes argv with non-interactive sudo when the node asks for it. */
export function withPrivilege(argv: readonly string[], sudo: boolean): string[] {
  return sudo ? ["sudo", "-n", "--", ...argv] : [...argv];
}
