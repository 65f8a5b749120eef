// End to end through the REAL Pulumi CLI (test/cli): examples/unikernel, one
// `runtime: "unikernel"` component, pulumi-mcp installed from `npm pack`, on the loopback sshd with
// QEMU (TCG here: this machine's KVM rejects the guest; see .test-nodes/unikernel.json) and the
// stand-in `ops build`, as a user types it: stack init, config set [--secret] → up → the VM answers
// HTTP → preview --expect-no-changes and up again (no changes, no SSH) → preview --diff of a
// version bump (shows the old and new image, touches nothing) → up (the VM rebooted on v2) →
// destroy → no VM state directory and no QEMU process left.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unikernelPaths } from "../../provider/runtime/unikernel-image";
import { UnikernelRuntime } from "../../provider/runtime/unikernel-runtime";
import { checkComponent } from "../../provider/spec/check-component";
import { closeAllConnections, transportFor } from "../../provider/transport";
import { type CliStack, opsByName, stepOf } from "../cli/pulumi-cli";
import { REPO_ROOT } from "../cli/repo-root";
import { httpGet, loadTestNodes, sshNodeInputs, testNodeConfig } from "../integration/test-nodes";
import { prepareExampleStack } from "./example-stack";

const nodes = loadTestNodes();
// Idempotent and quick once done (`npm run nodes` has done it).
execFileSync("bash", [path.join(REPO_ROOT, "test/fixtures/unikernel/setup.sh"), "up"], {
  stdio: ["ignore", "ignore", "inherit"],
  timeout: 600_000,
});
const uni = JSON.parse(readFileSync(path.join(nodes.stateDir, "unikernel.json"), "utf8")) as {
  images: { v1: string; v2: string };
  accel: "kvm" | "tcg";
  accelReason: string;
};

const SERVICE = "e2euni";
const VM = `${SERVICE}-web`;
const RESOURCE = "hello-unikernel";
const HTTP_PORT = 18711;
const URL = `http://127.0.0.1:${HTTP_PORT}`;
const COMPONENT_TYPE = "pulumi-nodejs:dynamic/mcp:Component";
// The test node logs in as this machine's own user (root), so its home is ours.
const VM_DIR = path.join(unikernelPaths(homedir()).vms, VM);

let stack: CliStack;

/** The provider's own runtime, over SSH like the program, to remove a VM an earlier run left. */
async function removeVm(): Promise<void> {
  const outcome = checkComponent({
    ...sshNodeInputs(nodes),
    service: SERVICE,
    name: "web",
    runtime: "unikernel",
    image: uni.images.v1,
  });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  const runtime = new UnikernelRuntime(transportFor(outcome.spec.node, outcome.spec.credentials));
  await runtime.remove([VM, `${VM}-previous`], 0);
}

/** QEMU processes whose command line names this VM's state directory. */
function qemuProcesses(): string[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return cmdline.startsWith("qemu-system") && cmdline.includes(VM_DIR);
      } catch {
        return false; // gone meanwhile
      }
    });
}

beforeAll(async () => {
  console.info(`[unikernel e2e] QEMU acceleration: ${uni.accel} — ${uni.accelReason}`);
  await removeVm();
  stack = prepareExampleStack({
    example: "examples/unikernel",
    name: "e2e-unikernel",
    stack: "e2e",
    config: {
      ...testNodeConfig(nodes),
      image: uni.images.v1,
      service: SERVICE,
      httpPort: HTTP_PORT,
      accel: uni.accel,
    },
  });
});

afterAll(async () => {
  await removeVm();
  await closeAllConnections();
});

describe(`examples/unikernel end to end through the real pulumi CLI (QEMU ${uni.accel})`, () => {
  it("up boots the VM; it answers HTTP on 127.0.0.1", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(stepOf(run, RESOURCE).op).toBe("create");
    expect(run.stdout).toMatch(/\+ 2 created/);
    expect(run.outputs.vm?.value).toBe(VM);
    expect(run.outputs.version?.value).toBe("v1.0.0");
    expect(run.outputs.state?.value).toBe("running");
    expect(run.outputs.url?.value).toBe(`${URL}/`);
    expect(run.handshakes).toBe(1);
    expect(await httpGet(`${URL}/version`, 30_000)).toBe("v1.0.0");
    expect(await httpGet(`${URL}/env/GREETING`)).toBe("hello from a unikernel");
    expect(qemuProcesses()).toHaveLength(1);
    // The SSH key is in state only encrypted, and never in the output.
    const state = stack.stateText();
    expect(state).toContain("ciphertext");
    for (const text of [state, run.stdout]) expect(text).not.toContain("PRIVATE KEY");
  });

  it("preview --expect-no-changes and up again change nothing and open no SSH connection", async () => {
    const preview = await stack.run("preview", { expectNoChanges: true, diff: true });
    expect(preview.ok).toBe(true);
    const up = await stack.run("up", { expectNoChanges: true });
    expect(up.ok).toBe(true);
    expect(up.stdout).toMatch(/2 unchanged/);
    for (const run of [preview, up]) {
      expect(run.steps.filter((s) => s.op !== "same")).toEqual([]);
      expect(run.handshakes).toBe(0);
      expect(run.connects).toEqual([]);
    }
    expect(qemuProcesses()).toHaveLength(1);
  });

  it("preview --diff of a version bump shows the old and new image and touches nothing", async () => {
    const stateBefore = stack.stateText();
    const qemuBefore = qemuProcesses();
    stack.setConfig("image", uni.images.v2);
    const run = await stack.run("preview", { diff: true });
    expect(run.ok).toBe(true);
    expect(stepOf(run, RESOURCE).op).toBe("update");
    // What a reviewer reads in `pulumi preview --diff`:
    expect(run.stdout).toContain(
      `[urn=urn:pulumi:e2e::mcp-unikernel::${COMPONENT_TYPE}::${RESOURCE}]`,
    );
    const changed = run.stdout
      .split("\n")
      .filter((line) => /^\s*[~+-] \S/.test(line))
      .map((line) => line.trim().replace(/\s+:/, ":"));
    expect(changed).toEqual([
      `~ ${COMPONENT_TYPE}: (update)`,
      `~ image: "${uni.images.v1}" => "${uni.images.v2}"`,
      "~ 1 to update",
    ]);
    expect(run.handshakes).toBe(0);
    expect(run.connects).toEqual([]);
    expect(await httpGet(`${URL}/version`)).toBe("v1.0.0");
    expect(stack.stateText()).toBe(stateBefore);
    expect(qemuProcesses()).toEqual(qemuBefore);
  });

  it("up applies the bump in place: the VM is rebooted on v2", async () => {
    const qemuBefore = qemuProcesses();
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({ [RESOURCE]: "update" });
    expect(run.outputs.version?.value).toBe("v2.0.0");
    expect(run.outputs.state?.value).toBe("running");
    expect(await httpGet(`${URL}/version`, 30_000)).toBe("v2.0.0");
    const qemuAfter = qemuProcesses();
    expect(qemuAfter).toHaveLength(1);
    expect(qemuAfter).not.toEqual(qemuBefore);
  });

  it("destroy stops the VM and removes its state", async () => {
    const run = await stack.run("destroy");
    expect(run.ok).toBe(true);
    expect(stepOf(run, RESOURCE).op).toBe("delete");
    expect(run.stdout).toMatch(/- 2 deleted/);
    expect(qemuProcesses()).toEqual([]);
    expect(existsSync(VM_DIR)).toBe(false);
    expect(stack.exportState().resources ?? []).toEqual([]);
  });
});
