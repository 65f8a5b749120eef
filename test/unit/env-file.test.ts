import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envFileText, withStdinPiped } from "../../provider/commands/env-file";
import { opsConfigJson } from "../../provider/commands/ops";
import { podmanRun } from "../../provider/commands/podman";
import { toCommandLine } from "../../provider/commands/quote";
import { opsBuildWithConfig } from "../../provider/commands/unikernel-shell";
import { checkComponent } from "../../provider/spec/check-component";
import { checkService } from "../../provider/spec/service";
import { validInputs } from "./fixtures";

/** Keys that change what podman or a shell on the node does, if they ever reached them. */
const NODE_CHANGING = {
  PATH: "/opt/app/bin",
  LD_PRELOAD: "/opt/app/lib/hook.so",
  LD_LIBRARY_PATH: "/opt/app/lib",
  IFS: "<ifs>",
  HOME: "/home/app",
  XDG_RUNTIME_DIR: "/run/app",
  CONTAINERS_CONF: "/opt/app/containers.conf",
  CONTAINERS_REGISTRIES_CONF: "/opt/app/registries.conf",
  TMPDIR: "/opt/app/tmp",
};

function specWith(env: Record<string, string>, runtime = "container") {
  const outcome = checkComponent(validInputs({ env, runtime }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

function envOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

describe("a container's env reaches podman as an env-file on stdin", () => {
  it("podman run reads --env-file /dev/stdin through a pipe, the values only on stdin", () => {
    const { argv, stdin, steps, runStep } = podmanRun(
      specWith({ ...NODE_CHANGING, TOKEN: "s3cret" }),
      { specHash: "h" },
    );
    const script = toCommandLine(steps[runStep]?.argv ?? []);
    expect(script).toMatch(/^sh -c 'cat \| exec "\$@"' sh podman run .* --env-file \/dev\/stdin /);
    expect(script).not.toMatch(/eval|set -a|export/);
    for (const value of [...Object.values(NODE_CHANGING), "s3cret"])
      expect(argv.join(" ")).not.toContain(value);
    expect(stdin).toBe(
      "CONTAINERS_CONF=/opt/app/containers.conf\r\nCONTAINERS_REGISTRIES_CONF=/opt/app/registries.conf\r\n" +
        "HOME=/home/app\r\nIFS=<ifs>\r\nLD_LIBRARY_PATH=/opt/app/lib\r\nLD_PRELOAD=/opt/app/lib/hook.so\r\n" +
        "PATH=/opt/app/bin\r\nTMPDIR=/opt/app/tmp\r\nTOKEN=s3cret\r\nXDG_RUNTIME_DIR=/run/app\r\n",
    );
  });

  it("without env there is no env-file and no stdin", () => {
    const { argv, stdin } = podmanRun(specWith({}), { specHash: "h" });
    expect(stdin).toBeUndefined();
    expect(argv.join(" ")).not.toContain("--env-file");
    expect(argv.join(" ")).not.toContain("cat |");
  });

  it("writes every value verbatim after KEY=, each line ending in \\r\\n (podman drops that \\r)", () => {
    expect(envFileText({ A: "", B: ` "q" 'q' #x a=b `, C: "ends in CR\r", D: "a\rb" })).toBe(
      `A=\r\nB= "q" 'q' #x a=b \r\nC=ends in CR\r\r\nD=a\rb\r\n`,
    );
  });

  it("never writes a value with a newline or a key podman would read otherwise", () => {
    expect(() => envFileText({ A: "x\nLD_PRELOAD=/evil.so" })).toThrow(/env\.A cannot be written/);
    expect(() => envFileText({ "PATH*": "" })).toThrow(/cannot be written/);
    expect(() => envFileText({ A: "x\nLD_PRELOAD=/evil.so" })).not.toThrow(/evil/);
  });

  it("the piped command reads stdin from /dev/stdin, in the caller's environment untouched", () => {
    const dir = mkdtempSync(join(tmpdir(), "env-file-"));
    const stdin = envFileText(NODE_CHANGING);
    const nodeEnv = { PATH: "/usr/bin:/bin", MARK: "node's own" };
    // Stands in for podman: copies /dev/stdin and its own environment to files.
    const command = ["sh", "-c", 'cat /dev/stdin > "$0/read" && env -0 > "$0/env"', dir];
    // node's child stdin is a socket: /dev/stdin cannot be opened on it…
    const direct = spawnSync(command[0] as string, command.slice(1), {
      input: stdin,
      env: nodeEnv,
    });
    expect(direct.status).not.toBe(0);
    expect(readFileSync(join(dir, "read"), "utf8")).toBe("");
    // …through the pipe it can.
    const [file = "", ...args] = withStdinPiped(command);
    const piped = spawnSync(file, args, { input: stdin, env: nodeEnv, encoding: "utf8" });
    expect(piped.stderr).toBe("");
    expect(piped.status).toBe(0);
    expect(readFileSync(join(dir, "read"), "utf8")).toBe(stdin);
    const seen = envOf(readFileSync(join(dir, "env"), "utf8"));
    // Only the caller's variables, plus what sh itself always sets (PWD, SHLVL).
    expect(seen).toMatchObject(nodeEnv);
    for (const key of Object.keys(NODE_CHANGING))
      expect(seen[key], key).toBe(key === "PATH" ? nodeEnv.PATH : undefined);
  });
});

describe("a unikernel's env", () => {
  it("goes into ops' config file, never into the environment ops runs in", () => {
    const dir = mkdtempSync(join(tmpdir(), "ops-env-"));
    const config = opsConfigJson({
      args: [],
      env: NODE_CHANGING,
      mounts: [],
      rebootOnExit: false,
      targetRoot: dir,
    });
    // Stands in for ops: records its environment.
    const ops = ["sh", "-c", 'env -0 > "$0/env"', dir];
    const step = opsBuildWithConfig(join(dir, "config.json"), config, ops);
    const [file = "", ...args] = step.argv;
    const nodeEnv = { PATH: "/usr/bin:/bin" };
    const run = spawnSync(file, args, { input: step.stdin, env: nodeEnv, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(join(dir, "config.json"), "utf8")).toBe(config);
    const seen = envOf(readFileSync(join(dir, "env"), "utf8"));
    for (const key of Object.keys(NODE_CHANGING))
      expect(seen[key], key).toBe(key === "PATH" ? nodeEnv.PATH : undefined);
  });
});

describe("check refuses what an env-file cannot carry, naming the field", () => {
  it("a value with a newline, pointing at secretFiles, the value never shown", () => {
    const outcome = checkComponent(validInputs({ env: { CERT: "-----BEGIN\nsecret-line\n" } }));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failures).toEqual([
      {
        property: "env.CERT",
        reason: expect.stringMatching(/^env\.CERT = \[secret\]: holds a newline.*secretFiles$/),
      },
    ]);
    expect(JSON.stringify(outcome.failures)).not.toContain("secret-line");
  });

  it("a KEY=value longer than podman's 65534-byte line; one byte less passes", () => {
    const fits = { KEY: "v".repeat(65_534 - "KEY=".length) };
    expect(checkComponent(validInputs({ env: fits })).ok).toBe(true);
    const outcome = checkComponent(validInputs({ env: { KEY: `${fits.KEY}v` } }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      expect(outcome.failures[0]?.reason).toMatch(
        /^env\.KEY = \[secret\]: KEY=value is 65535 bytes/,
      );
  });

  it("accepts every key, carriage returns, quotes and empty values", () => {
    expect(
      checkComponent(validInputs({ env: { ...NODE_CHANGING, A: "x\r", B: "'\"#", C: "" } })).ok,
    ).toBe(true);
  });

  it("in a Service, naming the component", () => {
    const outcome = checkService({
      node: validInputs().node,
      credentials: validInputs().credentials,
      name: "mcq",
      components: [{ name: "api", image: "reg:5000/mcq:v1" }],
      componentEnv: [{ CERT: "a\nb" }],
    });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      expect(outcome.failures.map((f) => f.property)).toEqual(["components[0].env.CERT"]);
  });

  it("state an older release wrote with a multi-line env still reads back (refresh, destroy)", () => {
    const state = validInputs({ env: { CERT: "a\nb" } });
    expect(checkComponent(state, "state").ok).toBe(true);
    const service = {
      node: validInputs().node,
      credentials: validInputs().credentials,
      name: "mcq",
      components: [{ name: "api", image: "reg:5000/mcq:v1" }],
      componentEnv: [{ CERT: "a\nb" }],
    };
    expect(checkService(service, "state").ok).toBe(true);
  });

  it("a unikernel's env (ops' JSON config) may hold newlines", () => {
    expect(specWith({ CERT: "line 1\nline 2\n" }, "unikernel").env.CERT).toBe("line 1\nline 2\n");
  });
});
