import { describe, expect, it } from "vitest";
import { probePreflight, probeVolumes } from "../../provider/commands/node-preflight";
import {
  forgetNodeFacts,
  loginProblems,
  type NodeFacts,
  parseNodeFacts,
  preflight,
  specProblems,
  volumeProblems,
} from "../../provider/runtime/node-preflight";
import { mapPodmanInspect } from "../../provider/runtime/podman-inspect";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import type { Transport } from "../../provider/transport";
import { validInputs } from "./fixtures";

function spec(overrides: Record<string, unknown> = {}): ComponentSpec {
  const outcome = checkComponent(validInputs(overrides));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

/** What the probe prints on this project's machine for the rootless test login. */
const ROOTLESS_HERE = [
  "uid=1001",
  "user=mcp",
  "home=/home/mcp",
  "perl=/usr/bin/perl",
  "subuid=yes",
  "subgid=yes",
  "runtimeDir=/tmp/podman-run-1001",
  "runtimeDirSource=tmp",
  "runtimeDirState=ok",
  "systemd=no",
  "unprivilegedPortStart=1024",
  "cgroup=v1",
].join("\n");

function facts(overrides: Partial<NodeFacts> = {}): NodeFacts {
  return { ...parseNodeFacts(ROOTLESS_HERE), ...overrides };
}

describe("preflight probe output", () => {
  it("parses a rootless login on cgroup v1", () => {
    expect(parseNodeFacts(ROOTLESS_HERE)).toEqual({
      uid: 1001,
      user: "mcp",
      home: "/home/mcp",
      perl: true,
      rootless: true,
      subuid: true,
      subgid: true,
      runtimeDir: "/tmp/podman-run-1001",
      runtimeDirSource: "tmp",
      runtimeDirState: "ok",
      systemd: false,
      linger: false,
      unprivilegedPortStart: 1024,
      cgroup: "v1",
      controllers: [],
    });
  });

  it("root is not rootless and has no problems", () => {
    const root = parseNodeFacts("uid=0\nuser=root\nhome=/root\n");
    expect(root.rootless).toBe(false);
    expect(loginProblems(root)).toEqual([]);
    expect(specProblems(root, spec({ memoryMb: 64, ports: ["80:80"] }))).toEqual([]);
  });

  it("the probe and the volume probe are fixed scripts; data only as arguments", () => {
    const argv = probePreflight();
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv.slice(3)).toEqual(["sh"]);
    const volumes = probeVolumes([
      { path: "/srv/a b", readOnly: false },
      { path: "/srv/$(x)", readOnly: true },
    ]);
    expect(volumes.slice(3)).toEqual(["sh", "rw:/srv/a b", "ro:/srv/$(x)"]);
  });
});

describe("rootless login problems, each with its fix", () => {
  it("no subordinate ids", () => {
    const [problem, ...rest] = loginProblems(facts({ subuid: false, subgid: false }));
    expect(rest).toEqual([]);
    expect(problem).toContain("/etc/subuid and /etc/subgid");
    expect(problem).toContain("sudo usermod --add-subuids");
  });

  it("a runtime directory that belongs to someone else", () => {
    const [problem] = loginProblems(facts({ runtimeDirState: "notmine root" }));
    expect(problem).toContain("no usable runtime directory");
    expect(problem).toContain("/tmp/podman-run-1001");
    expect(problem).toContain("belongs to root");
    expect(problem).toContain("sudo rm -rf /tmp/podman-run-1001");
  });

  it("a runtime directory podman can still create is fine", () => {
    expect(loginProblems(facts({ runtimeDirState: "creatable" }))).toEqual([]);
  });

  it("lingering off where systemd runs; no check without systemd", () => {
    const [problem] = loginProblems(facts({ systemd: true, linger: false }));
    expect(problem).toContain("lingering is off for mcp");
    expect(problem).toContain("sudo loginctl enable-linger mcp");
    expect(loginProblems(facts({ systemd: true, linger: true }))).toEqual([]);
    expect(loginProblems(facts({ systemd: false }))).toEqual([]);
  });
});

describe("rootless component problems", () => {
  it("a host port below net.ipv4.ip_unprivileged_port_start", () => {
    const [problem, ...rest] = specProblems(facts(), spec({ ports: ["80:8080", "8080:80"] }));
    expect(rest).toEqual([]);
    expect(problem).toContain("host port 80");
    expect(problem).toContain("net.ipv4.ip_unprivileged_port_start (1024)");
    expect(specProblems(facts({ unprivilegedPortStart: 0 }), spec({ ports: ["80:80"] }))).toEqual(
      [],
    );
  });

  it("memoryMb and vcpus on cgroup v1 are refused, naming the field, value and reason", () => {
    const problems = specProblems(facts(), spec({ memoryMb: 64, vcpus: 1 }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^memoryMb: 64 cannot be enforced: .*cgroup v1/);
    expect(problems[1]).toMatch(/^vcpus: 1 cannot be enforced: .*cgroup v1/);
  });

  it("cgroup v2: refused without the delegated controller, passed with it", () => {
    const v2 = facts({ cgroup: "v2", controllers: ["pids"] });
    const [problem] = specProblems(v2, spec({ memoryMb: 64 }));
    expect(problem).toContain("without the memory controller delegated to mcp (delegated: pids)");
    const delegated = facts({ cgroup: "v2", controllers: ["cpu", "memory", "pids"] });
    expect(specProblems(delegated, spec({ memoryMb: 64, vcpus: 2 }))).toEqual([]);
  });

  it("a unikernel's memoryMb/vcpus size the VM: no cgroup needed", () => {
    const vm = spec({ runtime: "unikernel", memoryMb: 128, vcpus: 1 });
    expect(specProblems(facts(), vm)).toEqual([]);
  });

  it("volume directories: missing or unwritable, naming the directory and the fix", () => {
    const problems = volumeProblems(facts(), "missing /srv/mcq\nunwritable /srv/web\n");
    expect(problems[0]).toContain("host directory /srv/mcq does not exist");
    expect(problems[0]).toContain("`sudo install -d -o mcp /srv/mcq`");
    expect(problems[1]).toContain("host directory /srv/web is not writable by mcp");
    expect(problems[1]).toContain("`sudo install -d -o mcp /srv/web`");
  });
});

describe("preflight over a transport", () => {
  function transportAnswering(answers: Record<string, string>, seen: string[]): Transport {
    return {
      label: `unit-${Math.random()}@node:22`,
      run: async (argv) => {
        const script = argv[2] ?? "";
        const key = script.includes("unprivilegedPortStart") ? "probe" : "volumes";
        seen.push(key);
        return { exitCode: 0, stdout: answers[key] ?? "", stderr: "" };
      },
      ready: async () => undefined,
      hold: async () => ({ release: async () => undefined }),
    };
  }

  it("probes the login once per node; all problems in one error naming the node", async () => {
    forgetNodeFacts();
    const seen: string[] = [];
    const transport = transportAnswering(
      { probe: ROOTLESS_HERE.replace("subuid=yes", "subuid=no"), volumes: "missing /srv/mcq\n" },
      seen,
    );
    const bad = spec({ memoryMb: 64, volumes: ["/srv/mcq:/data"] });
    const error = await preflight(transport, bad).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toContain(`node ${transport.label} cannot run mcq-api`);
    expect(error?.message).toContain("nothing was changed");
    expect(error?.message).toContain("/etc/subuid");
    expect(error?.message).toContain("memoryMb: 64");
    expect(error?.message).toContain("sudo install -d -o mcp /srv/mcq");
    await preflight(transport, bad).catch(() => undefined);
    expect(seen).toEqual(["probe", "volumes", "volumes"]);
  });

  it("an http health check on a node without perl is refused for root too, before anything", async () => {
    const seen: string[] = [];
    const transport = transportAnswering({ probe: "uid=0\nuser=root\nhome=/root\nperl=\n" }, seen);
    const error = await preflight(
      transport,
      spec({ ports: ["18443:8443"], healthcheck: { http: { port: 8443 } } }),
    ).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toBe(
      `node ${transport.label} cannot run mcq-api; nothing was changed:\n  - healthcheck.http: the node has no perl, which pulumi-mcp's http probe runs in: fix: install it (Debian: \`apt-get install perl-base\`; Fedora: \`dnf install perl-interpreter\`), or use a cmd check`,
    );
    await preflight(transport, spec({ healthcheck: { cmd: ["true"] } }));
    expect(seen).toEqual(["probe"]);
  });

  it("a root login costs one probe and nothing more", async () => {
    const seen: string[] = [];
    const transport = transportAnswering({ probe: "uid=0\nuser=root\nhome=/root\n" }, seen);
    await preflight(transport, spec({ memoryMb: 64, volumes: ["/srv/mcq:/data"] }));
    await preflight(transport, spec());
    expect(seen).toEqual(["probe"]);
  });
});

describe("rootless podman's default network reads back as none asked for", () => {
  const inspected = (mode: string, createCommand: string[]) =>
    mapPodmanInspect({
      Name: "mcq-api",
      Config: { Image: "reg/mcq:v1", CreateCommand: createCommand },
      HostConfig: { NetworkMode: mode },
      NetworkSettings: { Networks: {} },
      State: { Status: "running", Running: true },
    });

  it("slirp4netns without --network is the default; with it, it was asked for", () => {
    expect(inspected("slirp4netns", ["podman", "run", "reg/mcq:v1"]).network).toBeUndefined();
    expect(
      inspected("slirp4netns", ["podman", "run", "--network", "slirp4netns", "reg/mcq:v1"]).network,
    ).toBe("slirp4netns");
    expect(inspected("bridge", ["podman", "run", "reg/mcq:v1"]).network).toBeUndefined();
    expect(inspected("host", ["podman", "run", "--network", "host"]).network).toBe("host");
  });
});
