// Hostile input, property-based: every string field, tried with shell metacharacters, quotes,
// newlines, $(), backticks, NUL and very long values, is either refused by check with a failure
// naming that field, or reaches podman's argv as one untouched element.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { podmanRun, podmanRunArgv } from "../../provider/commands/podman";
import { checkComponent } from "../../provider/spec/check-component";
import { METACHARACTERS } from "../hostile-strings";
import { validInputs } from "./fixtures";

/** Every piece of a hostile string, plus NUL (which check must refuse). */
const PIECES = [...METACHARACTERS, "\0"];

/** Strings built to hurt: metacharacters mixed with text, sometimes very long. */
const hostile = fc.oneof(
  fc
    .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), {
      maxLength: 12,
    })
    .map((parts) => parts.join("")),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "$(touch /tmp/pwned)",
    "`touch /tmp/pwned`",
    "; touch /tmp/pwned",
    "a\0b",
    "x".repeat(70_000),
  ),
);

type FieldCase = {
  field: string;
  build: (value: string) => Record<string, unknown>;
  /** Where an accepted value must appear in podman run's argv, verbatim. */
  inArgv?: (value: string) => string;
};

const FIELDS: FieldCase[] = [
  { field: "image", build: (v) => ({ image: v }), inArgv: (v) => v },
  { field: "service", build: (v) => ({ service: v }) },
  { field: "name", build: (v) => ({ name: v }) },
  { field: "env", build: (v) => ({ env: { [v]: "value" } }) },
  { field: "env.VALUE", build: (v) => ({ env: { VALUE: v } }) },
  { field: "cmd[0]", build: (v) => ({ cmd: [v] }), inArgv: (v) => v },
  { field: "volumes[0]", build: (v) => ({ volumes: [v] }) },
  { field: "ports[0]", build: (v) => ({ ports: [v] }) },
  { field: "user", build: (v) => ({ user: v }), inArgv: (v) => v },
  { field: "network", build: (v) => ({ network: v }), inArgv: (v) => v },
  {
    field: "node.host",
    build: (v) => ({ node: { host: v, hostKey: `SHA256:${"A".repeat(43)}` } }),
  },
  {
    field: "node.user",
    build: (v) => ({ node: { host: "rift", user: v, hostKey: `SHA256:${"A".repeat(43)}` } }),
  },
];

const tally = new Map<string, { refused: number; accepted: number }>();

afterAll(() => {
  const rows = [...tally.entries()].map(
    ([field, t]) => `${field.padEnd(12)} refused ${t.refused}, accepted ${t.accepted}`,
  );
  console.log(`hostile inputs by field:\n${rows.join("\n")}`);
});

describe.each(FIELDS)("hostile $field", ({ field, build, inArgv }) => {
  it("is refused naming the field, or reaches podman's argv verbatim as one element", () => {
    const counts = { refused: 0, accepted: 0 };
    tally.set(field, counts);
    fc.assert(
      fc.property(hostile, (value) => {
        const outcome = checkComponent(validInputs(build(value)));
        if (!outcome.ok) {
          counts.refused += 1;
          const root = field.split(/[.[]/)[0] ?? field;
          expect(
            outcome.failures.some((f) => f.property.startsWith(root) || f.reason.includes(root)),
          ).toBe(true);
          // the failure never echoes a secret (env values)
          if (field === "env.VALUE" && value.length > 8) {
            for (const f of outcome.failures) expect(f.reason).not.toContain(value);
          }
          return;
        }
        counts.accepted += 1;
        const { argv, stdin } = podmanRun(outcome.spec, { specHash: "h" });
        expect(argv.join(" ")).not.toContain("\0");
        // podman's own argv, before the remote shell joins it with its neighbours
        if (inArgv) expect(podmanRunArgv(outcome.spec, { specHash: "h" })).toContain(inArgv(value));
        if (field === "env.VALUE") {
          // the value travels on stdin, never as an argument
          expect(stdin).toContain("VALUE=");
          if (value.length >= 8) expect(argv.some((arg) => arg.includes(value))).toBe(false);
        }
      }),
      { numRuns: 150, seed: 20261129 },
    );
    expect(counts.refused + counts.accepted).toBe(150);
  });
});
