import type { CheckFailure } from "./check-component";
import type { ComponentSpec } from "./component";
import { probeKinds, publishedTcp } from "./healthcheck";
import { LIMITS } from "./limits";
import { showValue } from "./redact";

/** An HTTP path as one request line carries it: visible ASCII, no spaces (percent-encode the rest). */
const HTTP_PATH = /^\/[!-~]*$/;

/**
 * What zod cannot judge about a component's health check: exactly one
 * probe, an HTTP path that fits a request line, a probed port that `ports`
 * publishes (the node probes the published address), cmd only where podman
 * exec exists, and a start period that leaves room within startTimeout.
 * `crossFieldsKnown` is false in a preview whose ports or startTimeout are not known yet.
 */
export function healthcheckFailures(spec: ComponentSpec, crossFieldsKnown = true): CheckFailure[] {
  const check = spec.healthcheck;
  if (!check) return [];
  const failures: CheckFailure[] = [];
  const fail = (property: string, value: unknown, reason: string): void => {
    failures.push({ property, reason: `${property} = ${showValue(value)}: ${reason}` });
  };
  const kinds = probeKinds(check);
  if (kinds.length !== 1) {
    fail(
      "healthcheck",
      check,
      `needs exactly one of http, tcp or cmd (it has ${kinds.length === 0 ? "none" : kinds.join(" and ")})`,
    );
  }
  if (check.http && !HTTP_PATH.test(check.http.path)) {
    fail(
      "healthcheck.http.path",
      check.http.path,
      "must start with / and hold only visible ASCII characters, no spaces (percent-encode the rest)",
    );
  }
  for (const kind of ["http", "tcp"] as const) {
    const probed = check[kind];
    if (!probed || !crossFieldsKnown || publishedTcp(spec.ports, probed.port)) continue;
    fail(
      `healthcheck.${kind}.port`,
      probed.port,
      `is not published: ports has no TCP port with container port ${probed.port}, and the check probes the published host address from the node (publish it, e.g. "127.0.0.1:<hostPort>:${probed.port}", or use a cmd check)`,
    );
  }
  if (check.cmd) {
    if (spec.runtime === "unikernel") {
      fail("healthcheck.cmd", check.cmd, "a unikernel VM has no podman exec: use http or tcp");
    }
    for (const [index, arg] of check.cmd.entries()) {
      if (arg.includes("\0")) fail(`healthcheck.cmd[${index}]`, arg, "contains a NUL byte");
      if (Buffer.byteLength(arg) > LIMITS.cmdArgBytes)
        fail(`healthcheck.cmd[${index}]`, arg, `is longer than ${LIMITS.cmdArgBytes} bytes`);
    }
  }
  if (crossFieldsKnown && check.startPeriod >= spec.startTimeout) {
    fail(
      "healthcheck.startPeriod",
      check.startPeriod,
      `is not shorter than startTimeout (${spec.startTimeout} s), which bounds the whole wait: no failed probe could ever count; raise startTimeout or shorten startPeriod`,
    );
  }
  return failures;
}
