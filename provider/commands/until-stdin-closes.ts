/**
 * Runs argv until it ends by itself or its standard input closes, whichever
 * comes first. Over SSH without a terminal, sshd sends a command no signal
 * when the client goes: a `podman logs --follow` of a quiet container would
 * live on, on the node, after Ctrl-C (measured). Closing the channel closes
 * the command's stdin, so a watcher (`cat`) ends and stops the command.
 * Exit status: the command's.
 */
export function untilStdinCloses(argv: readonly string[]): string[] {
  const script = [
    '"$@" </dev/null & pid=$!',
    // A background list's stdin is /dev/null (sh without job control): the watcher gets ours
    // as fd 3, opened before. Its output goes nowhere: sshd waits for every holder of the pipes.
    "exec 3<&0",
    '(cat <&3 >/dev/null 2>&1; kill "$pid" 2>/dev/null) >/dev/null 2>&1 &',
    'wait "$pid"',
  ].join("\n");
  return ["sh", "-c", script, "sh", ...argv];
}
