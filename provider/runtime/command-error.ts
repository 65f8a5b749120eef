import type { CommandResult } from "../transport";

/** An error from a command that ran and failed, with podman's own words. */
export class CommandFailed extends Error {
  constructor(
    what: string,
    readonly result: CommandResult,
  ) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-10).join("\n");
    super(`${what} failed (exit ${result.exitCode})${detail ? `: ${detail}` : ""}`);
    this.name = "CommandFailed";
  }
}

export function ensureSuccess(what: string, result: CommandResult): CommandResult {
  if (result.exitCode !== 0) throw new CommandFailed(what, result);
  return result;
}
