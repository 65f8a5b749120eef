import { execFileSync, spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chain } from "../../provider/commands/chain";
import { podmanRemove, podmanRun, podmanRunArgv, podmanStop } from "../../provider/commands/podman";
import { withPrivilege } from "../../provider/commands/privilege";
import { quoteArg, toCommandLine } from "../../provider/commands/quote";
import { checkComponent } from "../../provider/spec/check-component";
import { validInputs } from "./fixtures";

const NASTY = [
  "'\"$();|&\\`",
  "a\nb",
  "$(touch /tmp/x)",
  "`id`",
  "-rf",
  "",
  " ",
  "'",
  "\\'",
  "*",
  "~root",
  "a b\tc",
];

/** What /bin/sh makes of a command line: the argv its words become. */
function shellWords(commandLine: string): string[] {
  const out = execFileSync("/bin/sh", [
    "-c",
    `for a in ${commandLine.slice(commandLine.indexOf(" ") + 1)}; do printf '%s\\0' "$a"; done`,
  ]);
  return out.toString("utf8").split("\0").slice(0, -1);
}

describe("quoteArg / toCommandLine", () => {
  it("leaves plain words alone and quotes the rest", () => {
    expect(quoteArg("podman")).toBe("podman");
    expect(quoteArg("127.0.0.1:5055/mcp-test/web:v1.0.0")).toBe(
      "127.0.0.1:5055/mcp-test/web:v1.0.0",
    );
    expect(quoteArg("a b")).toBe("'a b'");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
  });

  it("refuses NUL, which no shell can carry", () => {
    expect(() => quoteArg("a\0b")).toThrow(/NUL/);
  });

  it("round-trips nasty arguments through a real /bin/sh verbatim", () => {
    const line = toCommandLine(["echo", ...NASTY]);
    expect(shellWords(line)).toEqual(NASTY);
  });

  it("round-trips any string without NUL through /bin/sh (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: "binary" }).filter((s) => !s.includes("\0")),
          { minLength: 1, maxLength: 5 },
        ),
        (args) => {
          expect(shellWords(toCommandLine(["echo", ...args]))).toEqual(args);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("podman argv builders", () => {
  const outcome = checkComponent(
    validInputs({
      ports: ["8443:8443", "[::1]:9000:9000/udp"],
      volumes: ["/srv/mcq:/srv/mcq:ro"],
      env: { TOKEN: "secret-value", LOG_LEVEL: "info" },
      cmd: ["--config", "/srv/mcq/mcq.toml"],
      user: "0:0",
      network: "mcpnet",
      stopTimeout: 1,
    }),
  );
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  const spec = outcome.spec;

  it("builds podman run with every field, env from stdin only, and -- before the image", () => {
    const run = podmanRunArgv(spec, { specHash: "abc" });
    expect(run).toEqual([
      "podman",
      "run",
      "--detach",
      "--name",
      "mcq-api",
      "--label",
      "io.pulumi-mcp.managed-by=pulumi-mcp",
      "--label",
      "io.pulumi-mcp.service=mcq",
      "--label",
      "io.pulumi-mcp.component=api",
      "--label",
      "io.pulumi-mcp.spec-hash=abc",
      "--label",
      `io.pulumi-mcp.image=${spec.image}`,
      "--restart",
      "unless-stopped",
      "--stop-timeout",
      "1",
      "--network",
      "mcpnet",
      "--user",
      "0:0",
      "--publish",
      "127.0.0.1:8443:8443/tcp",
      "--publish",
      "[::1]:9000:9000/udp",
      "--volume",
      "/srv/mcq:/srv/mcq:ro",
      "--env-file",
      "/dev/stdin",
      "--",
      "mcr.example.net:8443/mcq:v0.4.0",
      "--config",
      "/srv/mcq/mcq.toml",
    ]);
    // One remote command: the volume's host directory, the run, the new container's state.
    const { argv, stdin } = podmanRun(spec, { specHash: "abc" });
    expect(argv.slice(-3)).toEqual([
      "sh",
      "-c",
      [
        toCommandLine(["mkdir", "-p", "--", "/srv/mcq"]),
        toCommandLine(["sh", "-c", 'cat | exec "$@"', "sh", ...run]),
        "podman container inspect -- mcq-api",
      ].join(" && "),
    ]);
    expect(argv.join(" ")).not.toContain("secret-value");
    expect(stdin).toContain("secret-value");
  });

  it("builds stop and rm that tolerate a missing container and never remove volumes", () => {
    expect(podmanStop(["mcq-api"], 3)).toEqual([
      "podman",
      "stop",
      "--ignore",
      "--time",
      "3",
      "--",
      "mcq-api",
    ]);
    const rm = podmanRemove(["mcq-api", "mcq-api-previous"], 0);
    // --ignore: without it podman 4.3 removes none of the names when one is missing.
    // A worker per name: podman's default pool (3 per CPU) would stop them a few at a time.
    expect(rm).toEqual([
      "podman",
      "--max-workers",
      "2",
      "rm",
      "--force",
      "--ignore",
      "--time",
      "0",
      "--",
      "mcq-api",
      "mcq-api-previous",
    ]);
    expect(() => podmanRemove([], 0)).toThrow(/at least one name/);
  });

  it("chains commands so that every argument still arrives verbatim and nothing runs", () => {
    const hostile = NASTY.filter((value) => !value.includes("\0"));
    const argv = chain(["printf", "%s\\n", ...hostile], ["printf", "%s|", ...hostile]);
    const output = execFileSync(argv[0] as string, argv.slice(1), { encoding: "utf8" });
    expect(output).toBe(
      `${hostile.map((value) => `${value}\n`).join("")}${hostile.map((value) => `${value}|`).join("")}`,
    );
    const failing = chain(["sh", "-c", "exit 3"], ["printf", "never"]);
    const result = spawnSync(failing[0] as string, failing.slice(1), { encoding: "utf8" });
    expect(result.status).toBe(3);
    expect(result.stdout).toBe("");
  });

  it("prefixes sudo -n when asked", () => {
    expect(withPrivilege(["podman", "ps"], true)).toEqual(["sudo", "-n", "--", "podman", "ps"]);
    expect(withPrivilege(["podman", "ps"], false)).toEqual(["podman", "ps"]);
  });
});
