import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chain, chainSteps, failedStep } from "../../provider/commands/chain";
import {
  ensureNetwork,
  lookFirst,
  podmanPull,
  podmanRemove,
  podmanRun,
  podmanRunArgv,
  podmanStop,
  reloadNetworkPeers,
} from "../../provider/commands/podman";
import { withPrivilege } from "../../provider/commands/privilege";
import { quoteArg, toCommandLine } from "../../provider/commands/quote";
import { snapshotWithTags, TAGS_MARK } from "../../provider/commands/registry-digest";
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
      "--log-driver",
      "k8s-file",
      "--log-opt",
      "max-size=10m",
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
    const { argv, stdin, steps, runStep } = podmanRun(spec, { specHash: "abc" });
    expect(steps.map((step) => step.argv)).toEqual([
      lookFirst("mcq-api", "mcq-api-previous"),
      ["mkdir", "-p", "--", "/srv/mcq"],
      ensureNetwork("mcpnet"),
      ["sh", "-c", 'cat | exec "$@"', "sh", ...run],
      reloadNetworkPeers("mcpnet"),
      ["podman", "container", "inspect", "--", "mcq-api"],
    ]);
    expect(runStep).toBe(3);
    expect(argv).toEqual(chainSteps(steps.map((step) => step.argv)));
    expect(argv.join(" ")).not.toContain("secret-value");
    expect(stdin).toContain("secret-value");
    // An update: pulled, looked at, the old container stopped and renamed aside first, in the
    // same command.
    const setAside = { to: "mcq-api-previous", timeoutSeconds: 3 };
    const update = podmanRun(spec, { specHash: "abc", setAside, pull: podmanPull(spec.image) });
    expect(update.steps.map((step) => step.what)).toEqual([
      `podman pull ${spec.image}`,
      "looking at mcq-api and setting it aside as mcq-api-previous (podman container inspect, stop, rename)",
      "mkdir -p /srv/mcq",
      "podman network create mcpnet",
      "podman run mcq-api",
      "podman network reload (mcpnet)",
      "podman container inspect mcq-api",
    ]);
    expect(update.steps[1]?.argv).toEqual(lookFirst("mcq-api", "mcq-api-previous", setAside));
    expect(update.runStep).toBe(4);
    expect(update.asideSteps).toBe(2);
  });

  it("caps the log by default (k8s-file, where max-size works), as asked, or not at all", () => {
    const at = (logMaxSize?: string) => {
      const checked = checkComponent(validInputs(logMaxSize ? { logMaxSize } : {}));
      if (!checked.ok) throw new Error(JSON.stringify(checked.failures));
      return podmanRunArgv(checked.spec, { specHash: "h" }).join(" ");
    };
    expect(at()).toContain("--log-driver k8s-file --log-opt max-size=10m");
    expect(at("512k")).toContain("--log-opt max-size=512k");
    expect(at("unlimited")).not.toContain("--log");
    const bad = checkComponent(validInputs({ logMaxSize: "10 MB" }));
    expect(bad.ok ? [] : bad.failures).toEqual([
      expect.objectContaining({ property: "logMaxSize", reason: expect.stringContaining("10 MB") }),
    ]);
    const vm = checkComponent(validInputs({ runtime: "unikernel", logMaxSize: "1m" }));
    expect(vm.ok ? [] : vm.failures).toEqual([
      expect.objectContaining({
        property: "logMaxSize",
        reason: expect.stringContaining("containers only"),
      }),
    ]);
    const vmDefault = checkComponent(validInputs({ runtime: "unikernel" }));
    expect(vmDefault.ok && vmDefault.spec.logMaxSize).toBe(undefined);
  });

  it("creates a named network only, never a mode (host, none, …) or podman's default", () => {
    for (const mode of ["host", "none", "bridge", "slirp4netns", "podman"]) {
      const { argv } = podmanRun(
        { ...spec, network: mode, volumes: [], env: {} },
        { specHash: "h" },
      );
      expect(argv.join(" ")).not.toContain("network create");
    }
    const { argv } = podmanRun({ ...spec, network: "mcpnet2" }, { specHash: "h" });
    expect(argv.join(" ")).toContain(toCommandLine(ensureNetwork("mcpnet2")));
  });

  it("ensureNetwork: creates a missing network, keeps an existing one, and survives a racing create", () => {
    // A stand-in `podman` on PATH: the network exists when the file does; `create` fails when asked to.
    const dir = mkdtempSync(join(tmpdir(), "mcp-net-"));
    writeFileSync(
      join(dir, "podman"),
      `#!/bin/sh\necho "$*" >> "${dir}/calls"\ncase "$2" in\n  exists) test -e "${dir}/net-$4" ;;\n  create) if test -e "${dir}/race"; then touch "${dir}/net-$4"; exit 125; fi; touch "${dir}/net-$4"; echo "$4" ;;\nesac\n`,
      { mode: 0o755 },
    );
    const run = () => {
      rmSync(join(dir, "calls"), { force: true });
      const argv = ensureNetwork("mcp net");
      const result = spawnSync(argv[0] as string, argv.slice(1), {
        encoding: "utf8",
        env: { PATH: `${dir}:/usr/bin:/bin` },
      });
      return {
        status: result.status,
        stdout: result.stdout,
        calls: readFileSync(join(dir, "calls"), "utf8"),
      };
    };
    const created = run();
    expect(created).toEqual({
      status: 0,
      stdout: "",
      calls: "network exists -- mcp net\nnetwork create -- mcp net\n",
    });
    expect(run()).toEqual({ status: 0, stdout: "", calls: "network exists -- mcp net\n" });
    rmSync(join(dir, "net-mcp net"));
    writeFileSync(join(dir, "race"), "");
    expect(run().status).toBe(0); // created meanwhile by another run: exists after all
    rmSync(join(dir, "net-mcp net"));
    writeFileSync(join(dir, "podman"), "#!/bin/sh\nexit 125\n", { mode: 0o755 });
    expect(
      spawnSync("sh", ["-c", ensureNetwork("x")[2] as string], {
        env: { PATH: `${dir}:/usr/bin:/bin` },
      }).status,
    ).toBe(125);
    rmSync(dir, { recursive: true });
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

  it("chains steps so that a failure names its step, with that step's status and output", () => {
    const hostile = NASTY.filter((value) => !value.includes("\0"));
    const ok = chainSteps([
      ["printf", "%s\n", ...hostile],
      ["printf", "%s|", ...hostile],
    ]);
    const output = execFileSync(ok[0] as string, ok.slice(1), { encoding: "utf8" });
    expect(output).toBe(
      `${hostile.map((value) => `${value}\n`).join("")}${hostile.map((value) => `${value}|`).join("")}`,
    );
    const failing = chainSteps([
      ["printf", "one"],
      ["sh", "-c", "echo podman says no >&2; exit 125"],
      ["printf", "never"],
    ]);
    const result = spawnSync(failing[0] as string, failing.slice(1), { encoding: "utf8" });
    expect(result.status).toBe(125);
    expect(result.stdout).toBe("one");
    expect(failedStep(result.stderr)).toEqual({ step: 1, stderr: "podman says no\n" });
    expect(failedStep("podman says no\n")).toBeUndefined();
  });

  it("prefixes sudo -n when asked", () => {
    expect(withPrivilege(["podman", "ps"], true)).toEqual(["sudo", "-n", "--", "podman", "ps"]);
    expect(withPrivilege(["podman", "ps"], false)).toEqual(["podman", "ps"]);
  });
});

describe("snapshotWithTags (a refresh's one command per node)", () => {
  /** Runs the command with a stand-in `podman` that lists `ids` and echoes what it is asked. */
  function runWith(ids: string): { status: number | null; stdout: string } {
    const dir = mkdtempSync(path.join(tmpdir(), "mcp-podman-"));
    writeFileSync(
      path.join(dir, "podman"),
      `#!/bin/sh\ncase "$*" in ps*--quiet*) printf '%s' '${ids}';; ps*) ;; *) echo "inspect:$*";; esac\n`,
      { mode: 0o755 },
    );
    const argv = snapshotWithTags();
    const result = spawnSync(argv[0] as string, argv.slice(1), {
      encoding: "utf8",
      env: { PATH: `${dir}:/usr/bin:/bin` },
    });
    rmSync(dir, { recursive: true, force: true });
    return { status: result.status, stdout: result.stdout };
  }

  it("inspects every managed container at once, or prints [] when there is none", () => {
    expect(runWith("id1\nid2\n")).toEqual({
      status: 0,
      stdout: `inspect:container inspect id1 id2\n${TAGS_MARK}\n`,
    });
    expect(runWith("")).toEqual({ status: 0, stdout: "[]\n" });
    expect(snapshotWithTags()[4]).toBe("label=io.pulumi-mcp.managed-by=pulumi-mcp");
  });
});
