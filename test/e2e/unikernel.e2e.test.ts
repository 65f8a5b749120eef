// End to end through the TEST ENGINE (test/engine — not the Pulumi CLI): examples/unikernel, one
// `runtime: "unikernel"` component, pulumi-mcp installed from `npm pack`, on the loopback sshd with
// QEMU (TCG here: this machine's KVM rejects the guest; see .test-nodes/unikernel.json) and the
// stand-in `ops build`: up → the VM answers HTTP → up again (no changes, no SSH) → destroy → no VM
// state directory and no QEMU process left.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unikernelPaths } from "../../provider/runtime/unikernel-image";
import { UnikernelRuntime } from "../../provider/runtime/unikernel-runtime";
import { checkComponent } from "../../provider/spec/check-component";
import { closeAllConnections, transportFor } from "../../provider/transport";
import { loadState } from "../engine";
import { REPO_ROOT } from "../harness/program-dir";
import { httpGet, loadTestNodes, sshNodeInputs, testNodeConfig } from "../integration/test-nodes";
import { type ExampleStack, opsByName, prepareExampleStack } from "./example-stack";

const nodes = loadTestNodes();
// Idempotent and quick once done (`npm run nodes` has done it).
execFileSync("bash", [path.join(REPO_ROOT, "test/fixtures/unikernel/setup.sh"), "up"], {
  stdio: ["ignore", "ignore", "inherit"],
  timeout: 600_000,
});
const uni = JSON.parse(readFileSync(path.join(nodes.stateDir, "unikernel.json"), "utf8")) as {
  images: { v1: string };
  accel: "kvm" | "tcg";
  accelReason: string;
};

const SERVICE = "e2euni";
const VM = `${SERVICE}-web`;
const HTTP_PORT = 18711;
// The test node logs in as this machine's own user (root), so its home is ours.
const VM_DIR = path.join(unikernelPaths(homedir()).vms, VM);

let stack: ExampleStack;

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
    config: () => ({
      ...testNodeConfig(nodes),
      image: uni.images.v1,
      service: SERVICE,
      httpPort: HTTP_PORT,
      accel: uni.accel,
    }),
  });
});

afterAll(async () => {
  await removeVm();
  await closeAllConnections();
});

describe(`examples/unikernel end to end through the test engine (QEMU ${uni.accel})`, () => {
  it("up boots the VM; it answers HTTP on 127.0.0.1", async () => {
    const { summary } = await stack.run("up");
    expect(opsByName(summary)).toMatchObject({ "hello-unikernel": "create" });
    expect(summary.outputs).toMatchObject({ vm: VM, version: "v1.0.0", state: "running" });
    const url = `http://127.0.0.1:${HTTP_PORT}`;
    expect(await httpGet(`${url}/version`, 30_000)).toBe("v1.0.0");
    expect(await httpGet(`${url}/env/GREETING`)).toBe("hello from a unikernel");
    expect(qemuProcesses()).toHaveLength(1);
  });

  it("up again changes nothing and opens no SSH connection", async () => {
    const { summary, handshakes, connects } = await stack.run("up");
    expect(summary.resources.map((r) => r.op)).toEqual(["same", "same"]);
    expect(handshakes).toBe(0);
    expect(connects).toEqual([]);
  });

  it("destroy stops the VM and removes its state", async () => {
    const { summary } = await stack.run("destroy");
    expect(opsByName(summary)).toMatchObject({ "hello-unikernel": "delete" });
    expect(qemuProcesses()).toEqual([]);
    expect(existsSync(VM_DIR)).toBe(false);
    expect(loadState(stack.stateFile, stack.project, "e2e").resources).toEqual([]);
  });
});
