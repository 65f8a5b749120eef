import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { podmanRun, podmanRunArgv } from "../../provider/commands/podman";
import {
  podmanSecretsCreate,
  podmanSecretsList,
  podmanSecretsRemove,
  SECRET_FILES_LABEL,
  secretMountFlags,
  secretName,
  secretNamePattern,
} from "../../provider/commands/podman-secrets";
import { toCommandLine } from "../../provider/commands/quote";
import { diffComponent, planChange } from "../../provider/diff/component-diff";
import { specHash } from "../../provider/diff/spec-hash";
import {
  removeSecrets,
  sweepSecretFiles,
  withSecretFiles,
} from "../../provider/runtime/container-secrets";
import {
  observedSecretFiles,
  UNKNOWN_SECRET_FILE,
} from "../../provider/runtime/secret-files-state";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { checkService, componentOf } from "../../provider/spec/service";
import type { CommandResult, RunOptions, Transport } from "../../provider/transport";
import { validInputs } from "./fixtures";

const SECRET = "s3cr3t-file-content-9d2e";

function specOf(overrides: Record<string, unknown> = {}): ComponentSpec {
  const outcome = checkComponent(validInputs(overrides));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

function failuresOf(overrides: Record<string, unknown>) {
  const outcome = checkComponent(validInputs(overrides));
  if (outcome.ok) throw new Error("expected check to fail");
  return outcome.failures;
}

describe("secretFiles: check", () => {
  it("accepts plain file names and sorts them; {} and absent are the same spec", () => {
    const spec = specOf({
      secretFiles: { "tls.key": SECRET, TOKEN: SECRET, _a: "x", "b-1.pem": "y" },
    });
    expect(Object.keys(spec.secretFiles ?? {})).toEqual(["TOKEN", "_a", "b-1.pem", "tls.key"]);
    expect(specOf({ secretFiles: {} })).toEqual(specOf());
    expect("secretFiles" in specOf({ secretFiles: {} })).toBe(false);
  });

  it.each([
    "../etc/passwd",
    "a/b",
    ".hidden",
    "-dash",
    "a,b",
    "a=b",
    "",
    "sp ace",
    "x".repeat(129),
  ])("refuses the file name %j, showing the name and no content", (name) => {
    const failures = failuresOf({ secretFiles: { [name]: SECRET } });
    expect(failures).toHaveLength(1);
    expect(failures[0]?.property).toBe("secretFiles");
    expect(failures[0]?.reason).toContain("/run/secrets/");
    expect(JSON.stringify(failures)).not.toContain(SECRET);
  });

  it("refuses an empty content and one too big for podman, naming secretFiles.KEY", () => {
    const empty = failuresOf({ secretFiles: { TOKEN: "" } });
    expect(empty[0]).toMatchObject({ property: "secretFiles.TOKEN" });
    expect(empty[0]?.reason).toMatch(/^secretFiles\.TOKEN = \[secret\]: is empty/);
    const big = `${SECRET}${"x".repeat(512_000)}`;
    const failures = failuresOf({ secretFiles: { TOKEN: big } });
    expect(failures[0]?.property).toBe("secretFiles.TOKEN");
    expect(failures[0]?.reason).toContain("511999");
    expect(JSON.stringify(failures)).not.toContain(SECRET);
    expect(specOf({ secretFiles: { TOKEN: "x".repeat(511_999) } }).secretFiles?.TOKEN).toHaveLength(
      511_999,
    );
  });

  it("bounds the number of files and their total size", () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, SECRET]));
    expect(failuresOf({ secretFiles: many }).map((f) => f.reason)).toContainEqual(
      expect.stringContaining("more than 64"),
    );
    const large = Object.fromEntries(
      Array.from({ length: 3 }, (_, i) => [`f${i}`, "y".repeat(400_000)]),
    );
    expect(failuresOf({ secretFiles: large }).map((f) => f.reason)).toContainEqual(
      expect.stringContaining("together"),
    );
  });

  it("never shows a content that is not a string", () => {
    const failures = failuresOf({ secretFiles: { TOKEN: { nested: SECRET } } });
    expect(failures[0]?.property).toBe("secretFiles.TOKEN");
    expect(failures[0]?.reason).toContain("[secret]");
    expect(JSON.stringify(failures)).not.toContain(SECRET);
  });

  it("is refused for a unikernel, by name and without contents", () => {
    const failures = failuresOf({ runtime: "unikernel", secretFiles: { TOKEN: SECRET } });
    expect(failures.map((f) => f.property)).toContain("secretFiles");
    const reason = failures.find((f) => f.property === "secretFiles")?.reason ?? "";
    expect(reason).toContain("TOKEN");
    expect(reason).toContain('runtime "container"');
    expect(JSON.stringify(failures)).not.toContain(SECRET);
  });
});

describe("secretFiles: diff and spec hash", () => {
  it("a content change is an update in place that recreates the container", () => {
    const diff = diffComponent(
      specOf({ secretFiles: { TOKEN: "old" } }),
      specOf({ secretFiles: { TOKEN: "new" } }),
    );
    expect(diff).toMatchObject({ changes: true, replaces: [], changed: ["secretFiles"] });
    expect(planChange(diff)).toBe("recreate");
  });

  it("adding or dropping a file is an update; key order is no change", () => {
    expect(diffComponent(specOf(), specOf({ secretFiles: { A: "1" } })).changed).toEqual([
      "secretFiles",
    ]);
    const ab = specOf({ secretFiles: { A: "1", B: "2" } });
    const ba = specOf({ secretFiles: { B: "2", A: "1" } });
    expect(diffComponent(ab, ba).changes).toBe(false);
  });

  it("state written before secretFiles existed diffs clean against a spec without them", () => {
    const { secretFiles: _none, ...olderState } = specOf();
    expect(diffComponent(olderState as ComponentSpec, specOf({ secretFiles: {} })).changes).toBe(
      false,
    );
  });

  it("the spec hash holds file names, never contents, and is unchanged for specs without them", () => {
    const plain = specOf();
    expect(specHash(specOf({ secretFiles: {} }))).toBe(specHash(plain));
    const a = specOf({ secretFiles: { TOKEN: "one" } });
    const b = specOf({ secretFiles: { TOKEN: "two" } });
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(a)).not.toBe(specHash(plain));
    expect(specHash(specOf({ secretFiles: { OTHER: "one" } }))).not.toBe(specHash(a));
  });
});

describe("secretFiles: commands", () => {
  const nonce = "0123456789ab";

  it("secret names are valid podman names (≤ 64, [A-Za-z0-9_.-], alnum at both ends) and unique per container", () => {
    const long = `${"s".repeat(63)}-${"n".repeat(63)}`;
    const longer = `${"s".repeat(63)}-${"n".repeat(62)}x`;
    for (const container of ["a", "mcq-api", "svc_1.x-", long]) {
      const name = secretName(container, nonce, 63);
      expect(name.length).toBeLessThanOrEqual(64);
      expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*[a-zA-Z0-9]$/);
    }
    expect(secretName(long, nonce, 0)).not.toBe(secretName(longer, nonce, 0));
    expect(() => secretName("a", "not-hex", 0)).toThrow();
  });

  it("a container's pattern matches its own secrets and no other container's", () => {
    const pattern = new RegExp(secretNamePattern("mcq-api"));
    expect(pattern.test(secretName("mcq-api", nonce, 0))).toBe(true);
    expect(pattern.test(secretName("mcq-api", "ffffffffffff", 12))).toBe(true);
    for (const other of ["mcq-api2", "mcq-api.0123456789ab.0", "mcq", "mcqxapi", "xmcq-api"]) {
      expect(pattern.test(secretName(other, nonce, 0)), other).toBe(false);
    }
    expect(pattern.test("mcq-api")).toBe(false);
  });

  it("creating secrets puts contents on stdin only (base64), never in the command line", () => {
    const value = `${SECRET}\n'quoted' $(id) \`id\``;
    const { argv, stdin } = podmanSecretsCreate("mcq-api", [
      { name: secretName("mcq-api", nonce, 0), value },
    ]);
    const line = toCommandLine(argv);
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain(Buffer.from(value).toString("base64"));
    expect(stdin).toBe(`${Buffer.from(value).toString("base64")}\n`);
  });

  it("podman run mounts each file by secret name and target, labels the file names, values nowhere", () => {
    const spec = specOf({ secretFiles: { TOKEN: SECRET, "tls.key": SECRET } });
    const flags = secretMountFlags([
      { file: "TOKEN", secret: "mcq-api.0123456789ab.0" },
      { file: "tls.key", secret: "mcq-api.0123456789ab.1" },
    ]);
    const argv = podmanRunArgv(spec, { specHash: "h", secretFlags: flags });
    const options = argv.slice(0, argv.indexOf("--"));
    expect(options.join(" ")).toContain("--secret mcq-api.0123456789ab.0,type=mount,target=TOKEN");
    expect(options.join(" ")).toContain(
      "--secret mcq-api.0123456789ab.1,type=mount,target=tls.key",
    );
    expect(options).toContain(`${SECRET_FILES_LABEL}=TOKEN,tls.key`);
    // The whole remote command (with its chained steps) and its stdin: no content anywhere.
    const run = podmanRun(spec, { specHash: "h", secretFlags: flags });
    expect(run.argv.join(" ")).toContain("--secret mcq-api.0123456789ab.0,type=mount,target=TOKEN");
    expect(JSON.stringify(run.argv)).not.toContain(SECRET);
    expect(run.stdin ?? "").not.toContain(SECRET);
    expect(secretMountFlags([])).toEqual([]);
  });

  it("removal and listing name secrets only", () => {
    expect(podmanSecretsRemove(["a.0123456789ab.0"])).toEqual([
      "podman",
      "secret",
      "rm",
      "--",
      "a.0123456789ab.0",
    ]);
    expect(podmanSecretsList("a")).toContain(`name=${secretNamePattern("a")}`);
  });
});

/**
 * The creation script run by a real /bin/sh against a stand-in `podman` that
 * records what it is asked: exact bytes reach `podman secret create` on its
 * stdin, leftovers are swept first, and a failed creation removes the secrets
 * made before it.
 */
describe("secretFiles: the creation script under /bin/sh", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-unit-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const stub = join(dir, "podman");
  writeFileSync(
    stub,
    [
      "#!/bin/sh",
      'log="$STUB_DIR/calls"',
      'echo "$*" >> "$log"',
      'case "$1 $2" in',
      '  "secret ls") [ -f "$STUB_DIR/stale" ] && cat "$STUB_DIR/stale"; exit 0 ;;',
      '  "secret rm") exit 0 ;;',
      '  "secret create")',
      '    prev=""; for arg; do name=$prev; prev=$arg; done',
      '    [ "$name" = "$FAIL_ON" ] && { cat >/dev/null; echo "Error: refused" >&2; exit 125; }',
      '    cat > "$STUB_DIR/secret-$name"; exit 0 ;;',
      "esac",
      "exit 1",
    ].join("\n"),
  );
  chmodSync(stub, 0o755);

  function runScript(values: string[], extraEnv: Record<string, string> = {}, stale = "") {
    for (const file of readdirSync(dir)) if (file !== "podman") rmSync(join(dir, file));
    if (stale) writeFileSync(join(dir, "stale"), stale);
    const names = values.map((_, index) => secretName("mcq-api", "0123456789ab", index));
    const { argv, stdin } = podmanSecretsCreate(
      "mcq-api",
      values.map((value, index) => ({ name: names[index] ?? "", value })),
    );
    const [file, ...args] = argv;
    const result = spawnSync(file ?? "sh", args, {
      input: stdin,
      env: { PATH: `${dir}:${process.env.PATH}`, STUB_DIR: dir, ...extraEnv },
    });
    const calls = readFileSync(join(dir, "calls"), "utf8").trim().split("\n");
    return { status: result.status, names, calls };
  }

  it("hands podman each content byte for byte, on stdin", () => {
    const values = [`${SECRET}\n`, "line1\nline2\n\n", "'\"$(id)`id`\\", "é ü 中"];
    const { status, names } = runScript(values);
    expect(status).toBe(0);
    names.forEach((name, index) => {
      expect(readFileSync(join(dir, `secret-${name}`), "utf8")).toBe(values[index]);
    });
  });

  it("labels what it creates and removes this container's leftovers first", () => {
    const stale = secretName("mcq-api", "ffffffffffff", 0);
    const { status, calls } = runScript([SECRET], {}, `${stale}\n`);
    expect(status).toBe(0);
    expect(calls[0]).toBe(
      `secret ls --filter name=${secretNamePattern("mcq-api")} --format {{.Name}}`,
    );
    expect(calls[1]).toBe(`secret rm -- ${stale}`);
    expect(calls[2]).toContain("--label io.pulumi-mcp.container=mcq-api");
    expect(calls[2]).toContain("--label io.pulumi-mcp.managed-by=pulumi-mcp");
    expect(calls.join("\n")).not.toContain(SECRET);
  });

  it("a failed creation removes the secrets made before it and fails", () => {
    const second = secretName("mcq-api", "0123456789ab", 1);
    const { status, names, calls } = runScript(["a", "b", "c"], { FAIL_ON: second });
    expect(status).toBe(125);
    expect(calls.at(-1)).toBe(`secret rm -- ${names[0]}`);
    expect(calls.some((call) => call.includes(names[2] ?? "?"))).toBe(false);
  });

  it("the script itself is valid POSIX sh", () => {
    const { argv } = podmanSecretsCreate("x", []);
    expect(() => execFileSync("sh", ["-n", "-c", argv[2] ?? ""])).not.toThrow();
  });
});

describe("secretFiles: refresh", () => {
  it("keeps the state's contents when the container lists the same files", () => {
    const labels = { [SECRET_FILES_LABEL]: "b,a" };
    expect(observedSecretFiles({ a: "1", b: "2" }, labels)).toEqual({ a: "1", b: "2" });
  });

  it("shows drift: a file the container lacks is dropped, one the state lacks is unknown", () => {
    expect(observedSecretFiles({ a: "1", b: "2" }, { [SECRET_FILES_LABEL]: "a,c" })).toEqual({
      a: "1",
      c: UNKNOWN_SECRET_FILE,
    });
    expect(observedSecretFiles({ a: "1" }, {})).toBeUndefined();
  });

  it("the stand-in for an unknown content passes check (state stays readable)", () => {
    expect(specOf({ secretFiles: { c: UNKNOWN_SECRET_FILE } }).secretFiles).toEqual({
      c: UNKNOWN_SECRET_FILE,
    });
  });
});

describe("secretFiles in a service", () => {
  const base = {
    node: { host: "rift.example.net", hostKey: `SHA256:${"A".repeat(43)}` },
    credentials: { privateKey: "key" },
    name: "mcq",
    components: [
      { name: "api", image: "mcr.example.net:8443/mcq:v0.4.0" },
      { name: "web", image: "mcr.example.net:8443/mcq:v0.4.0" },
    ],
  };

  it("are split out of the components, like env, and put back per component", () => {
    const outcome = checkService({ ...base, componentSecretFiles: [{ TOKEN: SECRET }, {}] });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
    expect(outcome.spec.componentSecretFiles).toEqual({ api: { TOKEN: SECRET } });
    expect(JSON.stringify(outcome.spec.components)).not.toContain(SECRET);
    expect(componentOf(outcome.spec, "api").secretFiles).toEqual({ TOKEN: SECRET });
    expect("secretFiles" in componentOf(outcome.spec, "web")).toBe(false);
  });

  it("inline secretFiles (direct provider use) are split out too", () => {
    const outcome = checkService({
      ...base,
      components: [{ ...base.components[0], secretFiles: { TOKEN: SECRET } }],
    });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
    expect(outcome.spec.componentSecretFiles).toEqual({ api: { TOKEN: SECRET } });
    expect(JSON.stringify(outcome.spec.components)).not.toContain(SECRET);
  });

  it("a state written before secretFiles existed reads back without them", () => {
    const outcome = checkService(base);
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
    expect(outcome.spec.componentSecretFiles).toEqual({});
  });

  it("failures name the component and file, never the content", () => {
    const outcome = checkService({
      ...base,
      componentSecretFiles: [{ TOKEN: "" }, { "../x": SECRET }],
    });
    if (outcome.ok) throw new Error("expected failures");
    expect(outcome.failures.map((f) => f.property)).toEqual([
      "components[0].secretFiles.TOKEN",
      "components[1].secretFiles",
    ]);
    expect(JSON.stringify(outcome.failures)).not.toContain(SECRET);
  });
});

/** A transport that records every command and answers from a script. */
function fakeTransport(answer: (argv: readonly string[]) => CommandResult = () => OK) {
  const calls: { argv: readonly string[]; stdin?: RunOptions["stdin"] }[] = [];
  const transport: Transport = {
    label: "fake",
    async run(argv, options) {
      calls.push({ argv, stdin: options?.stdin });
      return answer(argv);
    },
    async ready() {},
    async hold() {
      throw new Error("not used");
    },
  };
  return { transport, calls };
}
const OK: CommandResult = { exitCode: 0, stdout: "", stderr: "" };
const isSecretRm = (argv: readonly string[]) => argv[1] === "secret" && argv[2] === "rm";

describe("secretFiles: the runtime around podman run", () => {
  it("a spec without secret files costs no command at all", async () => {
    const { transport, calls } = fakeTransport();
    const flags: (readonly string[])[] = [];
    await withSecretFiles(
      transport,
      specOf(),
      "mcq-api",
      async (secretFlags) => {
        flags.push(secretFlags);
      },
      async () => {},
    );
    await sweepSecretFiles(transport, specOf(), "mcq-api");
    expect(calls).toEqual([]);
    expect(flags).toEqual([[]]);
  });

  it("creates, runs with the mounts, then removes the secrets; contents only ever on stdin", async () => {
    const { transport, calls } = fakeTransport();
    let flags: readonly string[] = [];
    await withSecretFiles(
      transport,
      specOf({ secretFiles: { TOKEN: SECRET } }),
      "mcq-api",
      async (secretFlags) => {
        flags = secretFlags;
      },
      async () => {
        throw new Error("the container must stay");
      },
    );
    expect(calls).toHaveLength(2);
    const created = calls[0]?.argv.at(-1) ?? "";
    expect(flags).toContain(`${created},type=mount,target=TOKEN`);
    expect(calls[1]?.argv).toEqual(["podman", "secret", "rm", "--", created]);
    expect(JSON.stringify(calls.map((call) => call.argv))).not.toContain(SECRET);
    expect(calls[0]?.stdin).toBe(`${Buffer.from(SECRET).toString("base64")}\n`);
  });

  it("each run gets fresh secret names (old and new container of an update never share one)", async () => {
    const { transport, calls } = fakeTransport();
    const spec = specOf({ secretFiles: { TOKEN: SECRET } });
    for (let i = 0; i < 2; i += 1)
      await withSecretFiles(
        transport,
        spec,
        "mcq-api",
        async () => {},
        async () => {},
      );
    expect(calls[0]?.argv.at(-1)).not.toBe(calls[2]?.argv.at(-1));
  });

  it("a failed run still removes its secrets, and its error goes through", async () => {
    const { transport, calls } = fakeTransport();
    const error = await withSecretFiles(
      transport,
      specOf({ secretFiles: { TOKEN: SECRET } }),
      "mcq-api",
      async () => {
        throw new Error("podman run failed");
      },
      async () => {},
    ).catch((caught: unknown) => caught);
    expect(String(error)).toContain("podman run failed");
    expect(isSecretRm(calls.at(-1)?.argv ?? [])).toBe(true);
  });

  it("secrets that cannot be removed after a good run take the container with them", async () => {
    const { transport } = fakeTransport((argv) =>
      isSecretRm(argv) ? { exitCode: 125, stdout: "", stderr: "Error: disk on fire" } : OK,
    );
    let removed = false;
    await expect(
      withSecretFiles(
        transport,
        specOf({ secretFiles: { TOKEN: SECRET } }),
        "mcq-api",
        async () => {},
        async () => {
          removed = true;
        },
      ),
    ).rejects.toThrow(/disk on fire/);
    expect(removed).toBe(true);
  });

  it("secrets already gone are no failure", async () => {
    const { transport } = fakeTransport(() => ({
      exitCode: 125,
      stdout: "",
      stderr: 'Error: no secret with name or id "x": no such secret\n',
    }));
    await expect(removeSecrets(transport, ["x"])).resolves.toBeUndefined();
  });
});
