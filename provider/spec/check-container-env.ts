import type { CheckFailure } from "./check-component";
import { LIMITS } from "./limits";
import { showValue } from "./redact";

/**
 * What podman's --env-file (how a container's env reaches podman, see
 * commands/env-file) cannot carry: a value with a newline, and a `KEY=value`
 * longer than one line of it. Refused by name rather than cut or split.
 */
export function containerEnvFailures(env: Readonly<Record<string, string>>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const [key, value] of Object.entries(env)) {
    const property = `env.${key}`;
    const fail = (reason: string) =>
      failures.push({ property, reason: `${property} = ${showValue(value, true)}: ${reason}` });
    if (value.includes("\n")) {
      fail(
        "holds a newline, which a container's env cannot carry (podman reads it one line per variable); give multi-line values as a file with secretFiles",
      );
    }
    const bytes = Buffer.byteLength(key) + 1 + Buffer.byteLength(value);
    if (bytes > LIMITS.envFileLineBytes) {
      fail(
        `${key}=value is ${bytes} bytes, more than the ${LIMITS.envFileLineBytes} podman reads as one variable; give it as a file with secretFiles`,
      );
    }
  }
  return failures;
}
