import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseLogsArgs } from "../../provider/cli/logs-args";
import { workloadOfStack } from "../../provider/cli/stack-workload";
import { podmanLogsStream } from "../../provider/commands/podman";
import { streamConsole } from "../../provider/commands/unikernel-shell";
import { untilStdinCloses } from "../../provider/commands/until-stdin-closes";
import { sizeOf } from "../../provider/runtime/progress";
import { checkComponent } from "../../provider/spec/check-component";
import { checkService } from "../../provider/spec/service";
import { validInputs, validServiceInputs } from "./fixtures";

const SIG = "4dabf18193072939515e22adb298388d";
/** A secret as `pulumi stack export --show-secrets` prints it, and as plain `export` does. */
const shown = (value: unknown) => ({
  [SIG]: "1b47061264138c4ac30d75fd1eb44270",
  plaintext: JSON.stringify(value),
});
const hidden = () => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" });

function exported(...resources: { type: string; outputs: Record<string, unknown> }[]) {
  return {
    version: 3,
    deployment: { resources: [{ type: "pulumi:pulumi:Stack", outputs: {} }, ...resources] },
  };
}

function componentState() {
  const outcome = checkComponent(validInputs());
  if (!outcome.ok) throw new Error("bad fixture");
  const { credentials, ...rest } = outcome.spec;
  return {
    ...rest,
    credentials: shown(credentials),
    containerName: "mcq-api",
    state: "running",
    __provider: "require(…)",
  };
}

function serviceState() {
  const outcome = checkService(validServiceInputs({ name: "shop" }));
  if (!outcome.ok) throw new Error("bad fixture");
  const { credentials, componentEnv, ...rest } = outcome.spec;
  return {
    ...rest,
    credentials: shown(credentials),
    componentEnv: shown(componentEnv),
    status: {},
  };
}

describe("pulumi-mcp logs: arguments", () => {
  it("reads SERVICE/COMPONENT and the flags", () => {
    expect(
      parseLogsArgs(["--stack", "dev", "mcq/api", "--tail", "20", "--since=10m", "-f"]),
    ).toEqual({
      stack: "dev",
      service: "mcq",
      component: "api",
      tail: 20,
      since: "10m",
      follow: true,
    });
    expect(parseLogsArgs(["mcq/api", "--since", "2026-12-01T10:00:00Z"]).since).toBe(
      "2026-12-01T10:00:00Z",
    );
  });

  it("refuses a bad value, naming the flag and the value", () => {
    expect(() => parseLogsArgs(["mcq/api", "--tail", "-3"])).toThrow(
      '--tail "-3": must be a whole number',
    );
    expect(() => parseLogsArgs(["mcq/api", "--tail"])).toThrow(/--tail needs a value/);
    expect(() => parseLogsArgs(["mcq/api", "--tail", "ten"])).toThrow(
      '--tail "ten": must be a whole number',
    );
    expect(() => parseLogsArgs(["mcq/api", "--since", "yesterday"])).toThrow(
      '--since "yesterday": must be a duration',
    );
    expect(() => parseLogsArgs(["mcq"])).toThrow('"mcq": must be SERVICE/COMPONENT');
    expect(() => parseLogsArgs(["mcq/api/x"])).toThrow("must be SERVICE/COMPONENT");
    expect(() => parseLogsArgs(["mcq/api", "--bogus"])).toThrow('unknown option "--bogus"');
    expect(() => parseLogsArgs([])).toThrow(/which workload/);
  });

  it("builds podman logs and the console tail; -- before the name", () => {
    expect(podmanLogsStream("mcq-api", { tail: 5, since: "10m", follow: true })).toEqual([
      "podman",
      "logs",
      "--tail",
      "5",
      "--since",
      "10m",
      "--follow",
      "--",
      "mcq-api",
    ]);
    expect(podmanLogsStream("mcq-api", {})).toEqual(["podman", "logs", "--", "mcq-api"]);
    expect(streamConsole("/vms/a", undefined, true)).toEqual([
      "tail",
      "-n",
      "+1",
      "-F",
      "--",
      "/vms/a/console.log",
    ]);
    expect(streamConsole("/vms/a", 7, false)).toEqual([
      "tail",
      "-n",
      "7",
      "--",
      "/vms/a/console.log",
    ]);
  });
});

describe("untilStdinCloses (a follow that ends with its client)", () => {
  const run = (argv: string[], input: string | undefined, timeout = 5_000) => {
    const [file, ...args] = untilStdinCloses(argv);
    return spawnSync(file as string, args, { input, timeout, encoding: "utf8" });
  };

  it("stops the command when stdin closes, and passes on its status when it ends first", () => {
    const started = Date.now();
    const stopped = run(["sleep", "30"], "");
    expect(stopped.error).toBeUndefined(); // not our 5 s timeout: stdin's end stopped it
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stopped.status).toBe(143);
    // stdin held open (a pipe nobody closes before the end) while the command finishes by itself.
    const held = spawnSync(
      "sh",
      [
        "-c",
        `sleep 3 | ${untilStdinCloses(["sh", "-c", "echo out; exit 7"])
          .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
          .join(" ")}`,
      ],
      { encoding: "utf8", timeout: 10_000 },
    );
    expect(held.stdout).toBe("out\n");
    expect(held.status).toBe(7);
  });
});

describe("pulumi-mcp logs: the workload in the stack's state", () => {
  it("finds a Component by service and name, with its credentials from the decrypted export", () => {
    const spec = workloadOfStack(
      exported({ type: "pulumi-nodejs:dynamic/mcp:Component", outputs: componentState() }),
      "mcq",
      "api",
    );
    expect(spec.node.host).toBe("rift.example.net");
    expect(spec.credentials?.privateKey).toContain("secret-key-material");
  });

  it("finds a component of a Service", () => {
    const spec = workloadOfStack(
      exported({ type: "pulumi-nodejs:dynamic/mcp:Service", outputs: serviceState() }),
      "shop",
      "web",
    );
    expect(spec).toMatchObject({ service: "shop", name: "web", image: "reg:5000/mcq-web:v1" });
    expect(spec.credentials?.privateKey).toContain("BEGIN OPENSSH");
  });

  it("an encrypted secret (export without --show-secrets) is never passed on as ciphertext", () => {
    const state = { ...componentState(), credentials: hidden() };
    const stack = exported({ type: "pulumi-nodejs:dynamic/mcp:Component", outputs: state });
    expect(() => workloadOfStack(stack, "mcq", "api")).toThrow(/has no SSH auth/);
    expect(() => workloadOfStack(stack, "mcq", "api")).not.toThrow(/v1:abc/);
  });

  it("names what the stack has when the component is not there, and no secret", () => {
    const stack = exported(
      { type: "pulumi-nodejs:dynamic/mcp:Component", outputs: componentState() },
      { type: "pulumi-nodejs:dynamic/mcp:Service", outputs: serviceState() },
    );
    const error = (() => {
      try {
        workloadOfStack(stack, "mcq", "nope");
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(error).toBe("the stack has no component mcq/nope (it has mcq/api, shop/api, shop/web)");
    expect(() => workloadOfStack(exported(), "a", "b")).toThrow(
      "it has no pulumi-mcp Component or Service",
    );
  });
});

describe("progress: sizes", () => {
  it("prints podman's bytes in decimal units", () => {
    expect(sizeOf(512)).toBe("512 B");
    expect(sizeOf(1_234_567)).toBe("1.2 MB");
    expect(sizeOf(-1)).toBe("size unknown");
  });
});
