import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  inspectRemovingOnceRunning,
  LOOKED,
  lookFirst,
  NAME_TAKEN_EXIT,
  PREVIOUS_REMOVED,
} from "../../provider/commands/podman";

/**
 * lookFirst's script run by the real sh against a stand-in `podman` on PATH:
 * a container is a file `c-<name>` holding "<status> <image> <label>";
 * `lock` makes every podman call fail as a locked database does.
 */
const PODMAN = `#!/bin/sh
d=$(dirname "$0")
echo "$*" >> "$d/calls"
if [ -e "$d/lock" ]; then echo "Error: database is locked" >&2; exit 125; fi
case "$1 $2" in
  "container inspect")
    if [ "$3" = "--" ]; then
      if [ -e "$d/c-$4" ]; then printf '[\n    {\n        "State": {\n            "Status": "%s",\n            "Running": %s\n        }\n    }\n]\n' "$(cut -d' ' -f1 "$d/c-$4")" "$(grep -q '^running' "$d/c-$4" && echo true || echo false)"; else echo "Error: no such container $4" >&2; exit 125; fi
      exit 0
    fi
    shift 5; s=0
    for n in "$@"; do
      if [ -e "$d/c-$n" ]; then echo "$n $(cat "$d/c-$n")"; else echo "Error: no such container $n" >&2; s=125; fi
    done
    exit $s ;;
  "rm --force") rm -f "$d/c-$6" ;;
  "stop --ignore") sed -i 's/^running/exited/' "$d/c-$6" ;;
  "rename --") if [ -e "$d/renamefails" ]; then echo "Error: rename refused" >&2; exit 125; fi; mv "$d/c-$3" "$d/c-$4" ;;
  "start --") sed -i 's/^exited/running/' "$d/c-$3" ;;
esac
`;

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function node(containers: Record<string, string>, ...flags: ("lock" | "renamefails")[]): void {
  dir = mkdtempSync(join(tmpdir(), "mcp-look-"));
  writeFileSync(join(dir, "podman"), PODMAN, { mode: 0o755 });
  for (const [name, what] of Object.entries(containers))
    writeFileSync(join(dir, `c-${name}`), what);
  for (const flag of flags) writeFileSync(join(dir, flag), "");
}

function run(argv: string[]) {
  const result = spawnSync(argv[0] ?? "", argv.slice(1), {
    encoding: "utf8",
    env: { PATH: `${dir}:/usr/bin:/bin` },
  });
  const calls = existsSync(join(dir, "calls"))
    ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n")
    : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const has = (name: string) => existsSync(join(dir, `c-${name}`));
const state = (name: string) => readFileSync(join(dir, `c-${name}`), "utf8");
const ASIDE = { to: "web-previous", timeoutSeconds: 2 };

describe("lookFirst: the look (and an update's set-aside) at the head of the chained run", () => {
  it("a create with the name free looks once and goes on", () => {
    node({});
    const out = run(lookFirst("web", "web-previous"));
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(`${LOOKED}\n`);
    expect(out.calls).toHaveLength(1);
  });

  it("a create with the name taken stops, touching nothing", () => {
    node({ web: "running img:v1 img:v1" });
    const out = run(lookFirst("web", "web-previous"));
    expect(out.status).toBe(NAME_TAKEN_EXIT);
    expect(out.stdout).toBe(`pulumi-mcp: current running img:v1 img:v1\n${LOOKED}\n`);
    expect(out.calls).toHaveLength(1);
    expect(state("web")).toBe("running img:v1 img:v1");
  });

  it("an update stops and renames the current one aside", () => {
    node({ web: "running img:v1 img:v1" });
    const out = run(lookFirst("web", "web-previous", ASIDE));
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(`pulumi-mcp: current running img:v1 img:v1\n${LOOKED}\n`);
    expect(out.calls.slice(1)).toEqual([
      "stop --ignore --time 2 -- web",
      "rename -- web web-previous",
    ]);
    expect(has("web")).toBe(false);
    expect(state("web-previous")).toBe("exited img:v1 img:v1");
  });

  it("a leftover set-aside next to a current one is removed first", () => {
    node({ web: "running img:v2 ", "web-previous": "exited img:v1 " });
    const out = run(lookFirst("web", "web-previous", ASIDE));
    expect(out.status).toBe(0);
    expect(out.stdout).toContain("pulumi-mcp: previous exited img:v1");
    expect(out.calls.slice(1)).toEqual([
      "rm --force --time 0 -- web-previous",
      "stop --ignore --time 2 -- web",
      "rename -- web web-previous",
    ]);
    expect(state("web-previous")).toMatch(/^exited img:v2/);
  });

  it("with only a set-aside one (an update interrupted after setting aside), it stays as it is", () => {
    node({ "web-previous": "exited img:v1 img:v1" });
    const out = run(lookFirst("web", "web-previous", ASIDE));
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(`pulumi-mcp: previous exited img:v1 img:v1\n${LOOKED}\n`);
    expect(out.calls).toHaveLength(1);
    expect(has("web-previous")).toBe(true);
  });

  it("a rename that fails starts the running old one again, under its name", () => {
    node({ web: "running img:v1 img:v1" }, "renamefails");
    const out = run(lookFirst("web", "web-previous", ASIDE));
    expect(out.status).toBe(125);
    expect(out.stderr).toContain("rename refused");
    expect(out.calls.at(-1)).toBe("start -- web");
    expect(state("web")).toBe("running img:v1 img:v1");
  });

  it("an inspection that fails for another reason than a missing name fails with podman's words", () => {
    node({ web: "running img:v1 img:v1" }, "lock");
    const out = run(lookFirst("web", "web-previous", ASIDE));
    expect(out.status).toBe(125);
    expect(out.stderr).toContain("database is locked");
    expect(out.stdout).toBe("");
    expect(out.calls).toHaveLength(1);
  });
});

describe("inspectRemovingOnceRunning: the new one's inspection, and the old one's removal once it runs", () => {
  it("running: prints the inspection, removes the set-aside one and says so", () => {
    node({ web: "running img:v2 ", "web-previous": "exited img:v1 " });
    const out = run(inspectRemovingOnceRunning("web", "web-previous"));
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`^\\[\\n[\\s\\S]*"Running": true[\\s\\S]*\\n\\]\\n${PREVIOUS_REMOVED}\\n$`),
    );
    expect(has("web-previous")).toBe(false);
  });

  it("not running: the set-aside one stays (the caller rolls back to it)", () => {
    node({ web: "exited img:v2 ", "web-previous": "exited img:v1 " });
    const out = run(inspectRemovingOnceRunning("web", "web-previous"));
    expect(out.status).toBe(0);
    expect(out.stdout).not.toContain(PREVIOUS_REMOVED);
    expect(has("web-previous")).toBe(true);
  });

  it("a failed inspection fails the step", () => {
    node({});
    expect(run(inspectRemovingOnceRunning("web", "web-previous")).status).toBe(125);
  });
});
