import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { podmanStart, podmanStop } from "../../provider/commands/podman";
import {
  bootUnitText,
  installBootUnit,
  removeBootUnits,
  systemdQuote,
  unitName,
} from "../../provider/commands/systemd-unit";
import { bootVm } from "../../provider/commands/unikernel-shell";
import { diffComponent, planChange } from "../../provider/diff/component-diff";
import { bootProblem, parseNodeFacts } from "../../provider/runtime/node-preflight";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { checkService } from "../../provider/spec/service";
import { validInputs, validServiceInputs } from "./fixtures";

const dir = mkdtempSync(join(tmpdir(), "pulumi-mcp-units-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** systemd's own parser (systemd-analyze verify, which needs no running systemd). */
function verify(name: string, text: string): { status: number | null; output: string } {
  const file = join(dir, name);
  writeFileSync(file, text);
  const result = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
  if (result.error)
    throw new Error(`systemd-analyze is needed (Debian package systemd): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function spec(overrides: Record<string, unknown> = {}): ComponentSpec {
  const outcome = checkComponent(validInputs(overrides));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

const onNode = { host: "rift.example.net", hostKey: `SHA256:${"A".repeat(43)}` };

describe("boot unit text", () => {
  it("a container: podman start at boot, podman stop with its stop timeout, ordered after others", () => {
    const text = bootUnitText({
      workload: "mcq-web",
      runtime: "container",
      scope: "system",
      after: ["mcq-db"],
      start: podmanStart("mcq-web"),
      stop: podmanStop(["mcq-web"], 3),
      stopTimeoutSeconds: 3,
    });
    expect(text).toContain("After=pulumi-mcp-mcq-db.service\n");
    expect(text).toContain('ExecStart="podman" "start" "--" "mcq-web"\n');
    expect(text).toContain('ExecStop="podman" "stop" "--ignore" "--time" "3" "--" "mcq-web"\n');
    expect(text).toContain("Type=oneshot\nRemainAfterExit=yes\n");
    expect(text).toContain("WantedBy=multi-user.target\n");
    expect(text).not.toContain("Wants=");
    const checked = verify(unitName("mcq-web"), text);
    expect(checked.status, checked.output).toBe(0);
  });

  it("a rootless login's unit is wanted by the user instance's default.target", () => {
    const text = bootUnitText({
      workload: "a-b",
      runtime: "container",
      scope: "user",
      after: [],
      start: podmanStart("a-b"),
      stopTimeoutSeconds: 10,
    });
    expect(text).toContain("WantedBy=default.target\n");
    expect(text).not.toContain("After=");
  });

  it("a VM's unit carries the boot step's multi-line script and hostile paths intact, and systemd accepts it", () => {
    const home = `/home/o'brien "$HOME" 100%`;
    const start = bootVm(`${home}/.pulumi-mcp/unikernel/vms/s-vm`, [
      "qemu-system-x86_64",
      "-name",
      "guest=s-vm",
      "-chardev",
      `file,id=console,path=${home}/console.log,append=on`,
    ]);
    const text = bootUnitText({
      workload: "s-vm",
      runtime: "unikernel",
      scope: "system",
      after: [],
      start,
      stopTimeoutSeconds: 10,
    });
    const exec = text.split("\n").find((line) => line.startsWith("ExecStart="));
    expect(exec).toBeDefined();
    // One line: the script's newlines are \n escapes; $ and % doubled so systemd expands neither.
    expect(exec).toContain("\\n");
    expect(exec).toContain("$$dir");
    expect(exec).toContain("100%%");
    expect(exec).toContain('\\"$$HOME\\"');
    const checked = verify(unitName("s-vm"), text);
    expect(checked.status, checked.output).toBe(0);
  });

  it("systemdQuote refuses a NUL and leaves nothing for systemd to expand", () => {
    expect(() => systemdQuote("a\0b")).toThrow(/NUL/);
    expect(systemdQuote('a"b\\c$d%e\nf')).toBe('"a\\"b\\\\c$$d%%e\\nf"');
  });

  it("install and remove steps take names as arguments and the text on stdin", () => {
    const install = installBootUnit("user", "mcq-web", "[Unit]\n");
    expect(install.stdin).toBe("[Unit]\n");
    expect(install.argv.slice(-2)).toEqual(["user", "pulumi-mcp-mcq-web.service"]);
    expect(install.argv[2]).toContain("systemctl --user");
    const remove = removeBootUnits("system", ["mcq-web"]);
    expect(remove.slice(-2)).toEqual(["system", "pulumi-mcp-mcq-web.service"]);
    // Nothing of ours there: it exits before asking systemctl (a node without systemd).
    expect(remove[2]).toMatch(/\[ -n "\$found" \] \|\| exit 0/);
  });
});

describe("bootUnit and after in the spec and the diff", () => {
  it("check derives bootUnit: enabled by default, none with restart 'no' or bootPersistence false", () => {
    expect(spec({ node: onNode }).bootUnit).toBe("enabled");
    expect(spec({ node: onNode, restart: "no" }).bootUnit).toBe("none");
    expect(spec({ node: { ...onNode, bootPersistence: false } }).bootUnit).toBe("none");
    // An input cannot set it; state keeps what refresh saw.
    expect(spec({ node: onNode, bootUnit: "missing" }).bootUnit).toBe("enabled");
    const state = checkComponent(validInputs({ node: onNode, bootUnit: "missing" }), "state");
    expect(state.ok && state.spec.bootUnit).toBe("missing");
  });

  it("a unit found missing or disabled, or only `after` changed → the boot-unit plan (nothing recreated)", () => {
    const wanted = spec({ node: onNode });
    for (const seen of ["missing", "disabled"]) {
      const diff = diffComponent(
        { ...wanted, bootUnit: seen as ComponentSpec["bootUnit"] },
        wanted,
      );
      expect(diff.changed).toEqual(["bootUnit"]);
      expect(planChange(diff)).toBe("boot-unit");
    }
    expect(planChange(diffComponent(wanted, { ...wanted, after: ["db"] }))).toBe("boot-unit");
    // Opting a node in or out: the node field alone is state-only, the unit follows.
    const optedOut = spec({ node: { ...onNode, bootPersistence: false } });
    expect(planChange(diffComponent(optedOut, wanted))).toBe("boot-unit");
    // Anything else still recreates (and rewrites the unit after).
    expect(
      planChange(diffComponent(wanted, { ...wanted, image: "mcr.example.net:8443/mcq:v0.5.0" })),
    ).toBe("recreate");
  });

  it("a component cannot start after itself", () => {
    const outcome = checkComponent(validInputs({ after: ["api"] }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.failures[0]?.reason).toContain('after = "api"');
  });

  it("a Service: declared order by default, explicit after kept, unknown names and cycles refused", () => {
    const three = (components: Record<string, unknown>[]) =>
      checkService(
        validServiceInputs({
          node: onNode,
          components: components.map((c) => ({ image: "reg:5000/x:v1", ...c })),
          componentEnv: components.map(() => ({})),
        }),
      );
    const declared = three([{ name: "db" }, { name: "api" }, { name: "web" }]);
    expect(declared.ok).toBe(true);
    if (declared.ok) {
      expect(declared.spec.components.db?.after).toEqual([]);
      expect(declared.spec.components.api?.after).toEqual(["db"]);
      expect(declared.spec.components.web?.after).toEqual(["db", "api"]);
    }
    const explicit = three([{ name: "web", after: ["db"] }, { name: "db" }]);
    expect(explicit.ok && explicit.spec.components.web?.after).toEqual(["db"]);
    const unknown = three([{ name: "web", after: ["cache"] }]);
    expect(!unknown.ok && unknown.failures[0]?.reason).toContain(
      'components.web.after = "cache": service mcq has no component of that name',
    );
    const cycle = three([
      { name: "a", after: ["b"] },
      { name: "b", after: ["a"] },
    ]);
    expect(!cycle.ok && cycle.failures[0]?.reason).toMatch(/cycle: a → b → a/);
  });

  it("a stopped service (active: false) wants no boot units", () => {
    const stopped = checkService(validServiceInputs({ node: onNode, active: false }));
    expect(stopped.ok && stopped.spec.components.api?.bootUnit).toBe("none");
    const running = checkService(validServiceInputs({ node: onNode }));
    expect(running.ok && running.spec.components.api?.bootUnit).toBe("enabled");
  });
});

describe("a node without systemd", () => {
  const facts = (systemd: boolean) =>
    parseNodeFacts(`uid=0\nuser=root\nhome=/root\nsystemd=${systemd ? "yes" : "no"}\n`);

  it("is refused for a workload that should start at boot, naming the opt-out", () => {
    const problem = bootProblem(facts(false), spec({ node: onNode }));
    expect(problem).toContain("does not run systemd");
    expect(problem).toContain("bootPersistence: false");
    expect(problem).toContain("mcq-api");
  });

  it("is fine with bootPersistence false or restart 'no', and a systemd node always is", () => {
    expect(
      bootProblem(facts(false), spec({ node: { ...onNode, bootPersistence: false } })),
    ).toBeUndefined();
    expect(bootProblem(facts(false), spec({ node: onNode, restart: "no" }))).toBeUndefined();
    expect(bootProblem(facts(true), spec({ node: onNode }))).toBeUndefined();
  });
});
