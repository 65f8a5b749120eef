import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  opsBuild,
  opsConfig,
  opsConfigJson,
  opsImageName,
  parseBootableImagePath,
} from "../../provider/commands/ops";
import {
  hostfwdRule,
  type QemuVmPlan,
  qemuBootArgv,
  qemuKvmProbe,
  qemuOptionValue,
  qmpArgv,
} from "../../provider/commands/qemu";
import { opsBuildWithConfig, prepareVm, probePort } from "../../provider/commands/unikernel-shell";
import {
  parseCapabilities,
  requireUnikernelSupport,
} from "../../provider/runtime/node-capabilities";
import { processPlan } from "../../provider/runtime/unikernel-image";
import { parseVmStatus, vmToLive } from "../../provider/runtime/unikernel-state";
import { checkComponent } from "../../provider/spec/check-component";
import { type PortSpec, parsePortSpec } from "../../provider/spec/port-spec";
import { validInputs } from "./fixtures";

function port(text: string): PortSpec {
  const parsed = parsePortSpec(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

const PLAN: QemuVmPlan = {
  name: "mcq-api",
  vmId: "0f8b3c3e-4a57-4a55-8d8e-0a3f5b6c7d8e",
  stateDir: "/home/mcp/.pulumi-mcp/unikernel/vms/mcq-api",
  memoryMb: 256,
  vcpus: 2,
  accel: "tcg",
  ports: [port("127.0.0.1:8443:8443"), port("10.0.0.5:9000:9000/udp")],
  shares: [{ hostPath: "/srv/mcq", tag: "1", readOnly: false }],
  allowReboot: false,
};

/** The value after the first occurrence of a flag. */
function flagValue(argv: readonly string[], flag: string): string | undefined {
  const index = argv.indexOf(flag);
  return index >= 0 ? argv[index + 1] : undefined;
}

describe("qemu argv", () => {
  it("boots the image as ops does: q35, virtio-scsi disk, virtio-net on user net, QMP, console file, pidfile, daemonised", () => {
    const argv = qemuBootArgv(PLAN);
    expect(argv[0]).toBe("qemu-system-x86_64");
    expect(flagValue(argv, "-machine")).toBe("q35,accel=tcg");
    expect(flagValue(argv, "-cpu")).toBe("max");
    expect(flagValue(argv, "-m")).toBe("256");
    expect(flagValue(argv, "-smp")).toBe("2");
    expect(flagValue(argv, "-uuid")).toBe(PLAN.vmId);
    expect(argv).toContain("virtio-scsi-pci,id=scsi0");
    expect(argv).toContain("scsi-hd,bus=scsi0.0,drive=hd0");
    expect(flagValue(argv, "-drive")).toBe(
      `file=${PLAN.stateDir}/disk.raw,format=raw,if=none,id=hd0`,
    );
    expect(argv).toContain("virtio-net-pci,netdev=n0,romfile=");
    expect(flagValue(argv, "-qmp")).toBe(`unix:${PLAN.stateDir}/qmp.sock,server=on,wait=off`);
    expect(flagValue(argv, "-chardev")).toBe(
      `file,id=console,path=${PLAN.stateDir}/console.log,append=on`,
    );
    expect(flagValue(argv, "-serial")).toBe("chardev:console");
    expect(flagValue(argv, "-pidfile")).toBe(`${PLAN.stateDir}/qemu.pid`);
    expect(argv).toContain("-daemonize");
    expect(argv).toContain("-no-reboot");
    expect(argv).toContain("-nodefaults");
  });

  it("binds every hostfwd to the address of its port spec, never all interfaces", () => {
    const netdev = flagValue(qemuBootArgv(PLAN), "-netdev");
    expect(netdev).toBe(
      "user,id=n0,hostfwd=tcp:127.0.0.1:8443-:8443,hostfwd=udp:10.0.0.5:9000-:9000",
    );
    // A spec without an address was given 127.0.0.1 by check: the rule names it.
    expect(hostfwdRule(port("8080:80"))).toBe("tcp:127.0.0.1:8080-:80");
    expect(hostfwdRule(port("0.0.0.0:80:80"))).toBe("tcp:0.0.0.0:80-:80");
    expect(() => hostfwdRule(port("[::1]:80:80"))).toThrow(/IPv6/);
  });

  it("KVM runs -cpu max, as ops' command line ends up with; reboots are allowed only when asked", () => {
    const argv = qemuBootArgv({ ...PLAN, accel: "kvm", allowReboot: true });
    expect(flagValue(argv, "-machine")).toBe("q35,accel=kvm");
    expect(argv.filter((arg) => arg === "-cpu")).toHaveLength(1);
    expect(flagValue(argv, "-cpu")).toBe("max");
    expect(flagValue(qemuBootArgv(PLAN), "-cpu")).toBe("max");
    expect(argv).not.toContain("-no-reboot");
  });

  it("shares volumes over 9p with numbered mount tags, read-only when asked", () => {
    const argv = qemuBootArgv({
      ...PLAN,
      shares: [
        { hostPath: "/srv/a", tag: "1", readOnly: false },
        { hostPath: "/srv/b", tag: "2", readOnly: true },
      ],
    });
    const virtfs = argv.filter((_, index) => argv[index - 1] === "-virtfs");
    expect(virtfs).toEqual([
      "local,path=/srv/a,mount_tag=1,security_model=none,multidevs=remap,id=fs1",
      "local,path=/srv/b,mount_tag=2,security_model=none,multidevs=remap,id=fs2,readonly=on",
    ]);
  });

  it("doubles commas in option values, so a path cannot add options", () => {
    expect(qemuOptionValue("/a,b/c")).toBe("/a,,b/c");
    const argv = qemuBootArgv({ ...PLAN, stateDir: "/x,format=qcow2/vm" });
    expect(flagValue(argv, "-drive")).toBe(
      "file=/x,,format=qcow2/vm/disk.raw,format=raw,if=none,id=hd0",
    );
    expect(() => qemuOptionValue("a\nb")).toThrow(/newline/);
  });

  it("refuses a malformed VM id or mount tag", () => {
    expect(() => qemuBootArgv({ ...PLAN, vmId: "x,y" })).toThrow(/VM id/);
    expect(() =>
      qemuBootArgv({ ...PLAN, shares: [{ hostPath: "/a", tag: "1,id=x", readOnly: false }] }),
    ).toThrow(/mount tag/);
  });

  it("probes KVM by running the BIOS with the CPU model it boots with, and QMP goes through perl with data as arguments", () => {
    const probe = qemuKvmProbe();
    expect(flagValue(probe.argv, "-machine")).toBe("q35,accel=kvm");
    expect(flagValue(probe.argv, "-cpu")).toBe(flagValue(qemuBootArgv(PLAN), "-cpu"));
    // It runs the guest's BIOS to its end (then -no-reboot exits): guest code under KVM, not just a paused vCPU.
    expect(probe.argv).not.toContain("-S");
    expect(probe.argv).toContain("-no-reboot");
    expect(flagValue(probe.argv, "-boot")).toBe("strict=on,reboot-timeout=0");
    expect(probe.marker).toBe("No bootable device");
    const qmp = qmpArgv("/run/vm/qmp.sock", 3, ["query-status"]);
    expect(qmp.slice(0, 2)).toEqual(["perl", "-e"]);
    expect(qmp.slice(3)).toEqual(["--", "/run/vm/qmp.sock", "3", "query-status"]);
  });
});

describe("ops argv and config", () => {
  it("builds `ops build <in-image path> -i <name> -c <config>` with dot-free names", () => {
    expect(opsBuild("/usr/bin/serve", "pulumi-mcp-abc", "/c/b/abc.json")).toEqual([
      "ops",
      "build",
      "/usr/bin/serve",
      "-i",
      "pulumi-mcp-abc",
      "-c",
      "/c/b/abc.json",
    ]);
    expect(opsImageName("0123abcd")).toBe("pulumi-mcp-0123abcd");
    expect(() => opsImageName("web-v1.0.0")).toThrow();
    expect(() => opsBuild("/e", "web-v1.0.0", "/c")).toThrow(/"\."/);
    expect(() => opsBuild("serve", "pulumi-mcp-abc", "/c")).toThrow(/absolute/);
    expect(() => opsBuild("/a/../../etc/x", "pulumi-mcp-abc", "/c")).toThrow(/absolute/);
  });

  it("writes only fields ops knows: Args without argv[0], Env, TargetRoot, Mounts as %N, RebootOnExit (no DisableArgsCopy: ops overwrites it)", () => {
    expect(
      opsConfig({
        args: ["server", "--config", "/srv/mcq/mcq.toml"],
        env: { Z: "1", A: "two words" },
        mounts: ["/srv/mcq", "/data"],
        rebootOnExit: true,
        targetRoot: "/c/elf/k/root",
      }),
    ).toEqual({
      Args: ["server", "--config", "/srv/mcq/mcq.toml"],
      Env: { A: "two words", Z: "1" },
      TargetRoot: "/c/elf/k/root",
      Mounts: { "%1": "/srv/mcq", "%2": "/data" },
      RebootOnExit: true,
    });
    const bare = opsConfig({
      args: [],
      env: {},
      mounts: [],
      rebootOnExit: false,
      targetRoot: "/r",
    });
    expect(Object.keys(bare).sort()).toEqual(["Args", "Env", "TargetRoot"]);
  });

  it("the config text round-trips any value and orders env keys", () => {
    const env = { B: "quote ' \" $(x) `y`", A: "line1\nline2", C: "" };
    const text = opsConfigJson({
      args: ["-x", ""],
      env,
      mounts: [],
      rebootOnExit: false,
      targetRoot: "/r",
    });
    const parsed = JSON.parse(text) as { Args: string[]; Env: Record<string, string> };
    expect(parsed.Env).toEqual(env);
    expect(Object.keys(parsed.Env)).toEqual(["A", "B", "C"]);
    expect(parsed.Args).toEqual(["-x", ""]);
  });

  it("the config (it holds env values) travels on stdin, never in argv", () => {
    const config = opsConfigJson({
      args: [],
      env: { TOKEN: "s3cret" },
      mounts: [],
      rebootOnExit: false,
      targetRoot: "/r",
    });
    const step = opsBuildWithConfig(
      "/b/k.json",
      config,
      opsBuild("/e", "pulumi-mcp-k", "/b/k.json"),
    );
    expect(step.argv.join(" ")).not.toContain("s3cret");
    expect(step.stdin).toContain("s3cret");
    const record = prepareVm("/vms/a", "/img", PLAN.vmId, "/b/k.path", '{"env":{"T":"s3cret"}}');
    expect(record.argv.join(" ")).not.toContain("s3cret");
  });

  it("writes the config file through a real sh, mode 0600, then runs the command", () => {
    const dir = mkdtempSync(join(tmpdir(), "ops-config-"));
    const config = opsConfigJson({
      args: ["a b"],
      env: { X: "1" },
      mounts: [],
      rebootOnExit: false,
      targetRoot: "/r",
    });
    const step = opsBuildWithConfig(`${dir}/sub/c.json`, config, ["cat", `${dir}/sub/c.json`]);
    const [file, ...args] = step.argv;
    const out = execFileSync(file ?? "sh", args, { input: step.stdin, encoding: "utf8" });
    expect(out).toBe(config);
    expect(readFileSync(`${dir}/sub/c.json`, "utf8")).toBe(config);
    const mode = execFileSync("stat", ["-c", "%a", `${dir}/sub/c.json`], { encoding: "utf8" });
    expect(mode.trim()).toBe("600");
  });

  it("reads the image path ops prints", () => {
    expect(
      parseBootableImagePath("building...\nBootable image file:/root/.ops/images/pulumi-mcp-x\n"),
    ).toBe("/root/.ops/images/pulumi-mcp-x");
    expect(parseBootableImagePath("nothing here")).toBeUndefined();
  });
});

describe("the program a VM runs", () => {
  const image = {
    id: "sha256:1",
    digest: "",
    entrypoint: ["/serve"],
    cmd: ["--port", "80"],
    env: { PATH: "/bin" },
  };
  const spec = (extra: Record<string, unknown>) => {
    const outcome = checkComponent(validInputs({ runtime: "unikernel", ...extra }));
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
    return outcome.spec;
  };

  it("is the entrypoint with cmd as Args (the image's Cmd when none), env merged over the image's", () => {
    expect(processPlan(image, spec({ env: { A: "1" } }))).toEqual({
      program: "/serve",
      args: ["--port", "80"],
      env: { PATH: "/bin", A: "1" },
    });
    expect(processPlan(image, spec({ cmd: ["x"] })).args).toEqual(["x"]);
  });

  it("is cmd[0] without an entrypoint, or the binary named", () => {
    const noEntrypoint = { ...image, entrypoint: [], cmd: [] };
    expect(processPlan(noEntrypoint, spec({ cmd: ["/app", "-v"] }))).toMatchObject({
      program: "/app",
      args: ["-v"],
    });
    expect(processPlan(image, spec({ binary: "/other", cmd: ["a"] }))).toMatchObject({
      program: "/other",
      args: ["a"],
    });
    expect(() => processPlan(noEntrypoint, spec({}))).toThrow(/set binary/);
  });
});

describe("unikernel checks", () => {
  it("fills the VM's defaults and refuses what a VM cannot honour, by name", () => {
    const ok = checkComponent(validInputs({ runtime: "unikernel" }));
    expect(ok.ok && ok.spec).toMatchObject({ memoryMb: 256, vcpus: 1, accel: "auto" });
    const bad = checkComponent(
      validInputs({
        runtime: "unikernel",
        user: "1000",
        network: "mcpnet",
        ports: ["[::1]:80:80"],
        volumes: ["/srv/a:/a:Z"],
      }),
    );
    expect(bad.ok).toBe(false);
    const properties = bad.ok ? [] : bad.failures.map((failure) => failure.property).sort();
    expect(properties).toEqual(["network", "ports[0]", "user", "volumes[0]"]);
    const long = checkComponent(validInputs({ runtime: "unikernel", name: "a".repeat(60) }));
    expect(long.ok ? [] : long.failures.map((failure) => failure.property)).toEqual(["name"]);
    const container = checkComponent(validInputs({ accel: "kvm" }));
    expect(container.ok).toBe(false);
  });

  it("refuses a :ro volume, naming the field, the value and why (Nanos opens 9p files read-write)", () => {
    const bad = checkComponent(
      validInputs({ runtime: "unikernel", volumes: ["/srv/a:/a", "/srv/b:/b:ro"] }),
    );
    expect(bad.ok ? [] : bad.failures).toEqual([
      {
        property: "volumes[1]",
        reason: expect.stringMatching(
          /^volumes\[1\] = "\/srv\/b:\/b:ro": a unikernel cannot read a read-only share: Nanos's 9p client opens every file read-write \(Tlopen O_RDWR\), so QEMU's read-only export \(readonly=on\) answers EROFS/,
        ),
      },
    ]);
    // A container keeps :ro; state an older release wrote with it still reads back.
    expect(checkComponent(validInputs({ volumes: ["/srv/b:/b:ro"] })).ok).toBe(true);
    const old = { runtime: "unikernel", volumes: ["/srv/b:/b:ro"], restart: "unless-stopped" };
    expect(checkComponent(validInputs(old), "state").ok).toBe(true);
  });

  it('defaults restart to "on-failure" (what Nanos does) and refuses the policies it cannot keep', () => {
    const vm = checkComponent(validInputs({ runtime: "unikernel" }));
    expect(vm.ok && vm.spec.restart).toBe("on-failure");
    const container = checkComponent(validInputs({}));
    expect(container.ok && container.spec.restart).toBe("unless-stopped");
    for (const restart of ["no", "on-failure"]) {
      expect(checkComponent(validInputs({ runtime: "unikernel", restart })).ok).toBe(true);
    }
    for (const restart of ["always", "unless-stopped"]) {
      const bad = checkComponent(validInputs({ runtime: "unikernel", restart }));
      expect(bad.ok ? [] : bad.failures).toEqual([
        {
          property: "restart",
          reason: expect.stringContaining(
            `restart = "${restart}": Nanos reboots a VM only when its program exits non-zero`,
          ),
        },
      ]);
    }
  });

  it("the program's path in the image is absolute, without ..", () => {
    const image = { id: "sha256:1", digest: "", entrypoint: ["/a/../../x"], cmd: [], env: {} };
    const outcome = checkComponent(validInputs({ runtime: "unikernel" }));
    if (!outcome.ok) throw new Error("bad fixture");
    expect(() => processPlan(image, outcome.spec)).toThrow(/absolute path without \.\./);
  });
});

describe("node capabilities and VM status", () => {
  it("says what is missing, and why KVM is not used", () => {
    const caps = parseCapabilities(
      "home=/root\nops=\nqemu-system-x86_64=/usr/bin/qemu-system-x86_64\nperl=/usr/bin/perl\npodman=/usr/bin/podman\nopsDir=/root/.ops\nopsVersion=0.1.54\nopsFiles=kernel.img boot.img \nkvm=fails qemu: error: failed to set MSR 0x10a\n",
    );
    expect(() => requireUnikernelSupport(caps, "root@n:22", "auto")).toThrow(/no `ops`/);
    const withOps = { ...caps, ops: "/usr/local/bin/ops" };
    expect(requireUnikernelSupport(withOps, "n", "auto")).toEqual({
      accel: "tcg",
      reason: "auto: QEMU fails under KVM with -cpu max: qemu: error: failed to set MSR 0x10a",
    });
    expect(() => requireUnikernelSupport(withOps, "n", "kvm")).toThrow(/KVM is not usable/);
  });

  it("names exactly which of ops' offline files the node lacks", () => {
    const probe = (lines: string) =>
      parseCapabilities(
        `home=/home/mcp\nops=/usr/local/bin/ops\nqemu-system-x86_64=/usr/bin/q\nperl=/usr/bin/perl\npodman=/usr/bin/podman\nopsDir=/home/mcp/.ops\n${lines}kvm=absent\n`,
      );
    const failure = (lines: string) => {
      try {
        requireUnikernelSupport(probe(lines), "mcp@n:22", "auto");
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(failure("opsVersion=0.1.54\nopsFiles=kernel.img boot.img \n")).toBe("");
    const noLatest = failure("opsVersion=\nopsFiles=\n");
    expect(noLatest).toMatch(
      /^node mcp@n:22 cannot run unikernels: ops has no \/home\/mcp\/\.ops\/latest\.txt \(the Nanos version ops uses\): .*"No local build found"/,
    );
    const noBoot = failure("opsVersion=0.1.54\nopsFiles=kernel.img \n");
    expect(noBoot).toContain(
      "ops has no /home/mcp/.ops/0.1.54/boot.img (the Nanos 0.1.54 boot loader):",
    );
    expect(noBoot).not.toContain("kernel.img (");
    const neither = failure("opsVersion=0.1.54\nopsFiles=\n");
    expect(neither).toContain(
      "ops has no /home/mcp/.ops/0.1.54/kernel.img (the Nanos 0.1.54 kernel), no /home/mcp/.ops/0.1.54/boot.img",
    );
    expect(failure("opsVersion=../x\nopsFiles=\n")).toContain('(it says "../x")');
  });

  it("maps the status step's records: running from QMP, exited when QEMU is gone", () => {
    const record = JSON.stringify({
      format: 1,
      image: "r/uni:v1.0.0",
      imageId: "sha256:1",
      service: "s",
      component: "c",
      specHash: "h",
      ports: ["127.0.0.1:1:2/tcp"],
      volumes: [],
      cmd: [],
      env: { A: "1" },
      restart: "no",
      accel: "tcg",
    });
    const out = [
      "@vm s-c",
      "@pid 42 1",
      "@started 2026-01-01T00:00:00Z",
      "@stopped 0",
      '@qmp {"return": {"status": "running", "running": true}}',
      `@spec ${record}`,
      "@end",
      "@vm s-d",
      "@pid 43 0",
      "@started ",
      "@stopped 0",
      `@spec ${record}`,
      "@end",
    ].join("\n");
    const [running, exited] = parseVmStatus(out).map(vmToLive);
    expect(running).toMatchObject({
      name: "s-c",
      state: "running",
      running: true,
      version: "v1.0.0",
    });
    expect(exited).toMatchObject({ name: "s-d", state: "exited", running: false });
    // QEMU does not tell the program's exit code, nor Nanos's reboots: unknown, never a made-up 0.
    expect(exited?.exitCode).toBeUndefined();
    expect(exited?.restartCount).toBeUndefined();
  });
});

describe("the readiness probe (real perl, real sockets on loopback)", () => {
  /** Runs the probe; resolves to its exit code and stderr. */
  function probe(port: number, waitSeconds: number) {
    const [file = "perl", ...args] = probePort("127.0.0.1", port, 0.5, waitSeconds);
    return new Promise<{ code: number; stderr: string }>((done) => {
      execFile(file, args, (error, _stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
  }

  /** A server that accepts at once (as QEMU's hostfwd does) but answers only once `answering`. */
  async function server(): Promise<{ port: number; answer: () => void; close: () => void }> {
    let answering = false;
    const srv: Server = createServer((socket) => {
      socket.on("data", () => {
        if (answering) socket.end("HTTP/1.0 200 OK\r\n\r\nok");
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const address = srv.address();
    if (!address || typeof address === "string") throw new Error("no port");
    return { port: address.port, answer: () => (answering = true), close: () => srv.close() };
  }

  it("one try (wait 0) fails with the reason when a connection gets no answer", async () => {
    const srv = await server();
    try {
      expect(await probe(srv.port, 0)).toEqual({ code: 1, stderr: "no answer within 0.5s\n" });
    } finally {
      srv.close();
    }
  });

  it("with a wait, keeps trying and succeeds once the port answers", async () => {
    const srv = await server();
    try {
      const result = probe(srv.port, 5);
      setTimeout(srv.answer, 700);
      expect(await result).toEqual({ code: 0, stderr: "" });
    } finally {
      srv.close();
    }
  });
});
