/**
 * Health checks of unikernel VMs over the real sshd, QEMU and the ops
 * stand-in: probed through the forwarded port from the node (a tcp check
 * needs an answer there: QEMU accepts a forwarded connection before the
 * guest listens). "Serves only after N seconds" is `/file/data/ready`, read
 * from a 9p volume the test writes into when it decides; "never serves" is
 * the fixture's version that never listens.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnikernelRuntime } from "../../provider/runtime/unikernel-runtime";
import { checkComponent } from "../../provider/spec/check-component";
import { closeAllConnections, transportFor } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { create, provider, update } from "./provider-calls";
import { httpGet, loadTestNodes, sshNodeInputs } from "./test-nodes";
import { writeLater } from "./write-later";

const nodes = loadTestNodes();
const fixture = `${nodes.stateDir}/unikernel.json`;
if (!existsSync(fixture)) {
  throw new Error(
    `the unikernel health check tests need test/fixtures/unikernel/setup.sh up (no ${fixture})`,
  );
}
const uni = JSON.parse(readFileSync(fixture, "utf8")) as {
  images: { v1: string; v2: string; neverListens: string };
  accel: "kvm" | "tcg";
};

const NAME = "hcuni-web";
const PORT = 18977;
const dataDir = `${nodes.stateDir}/volumes/hcuni-data`;
const READY = `${dataDir}/ready`;

function inputs(image: string, extra: Record<string, unknown> = {}) {
  return {
    ...sshNodeInputs(nodes),
    service: "hcuni",
    name: "web",
    runtime: "unikernel",
    accel: uni.accel,
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    volumes: [`${dataDir}:/data`],
    stopTimeout: 2,
    minUptime: 0,
    startTimeout: 240,
    // A TCG guest on a busy machine takes a while to boot: failures until then do not count.
    healthcheck: {
      http: { port: 8080, path: "/file/data/ready" },
      interval: 1,
      timeout: 3,
      retries: 3,
      startPeriod: 200,
    },
    ...extra,
  };
}

const readyAfter = (ms: number) => writeLater(READY, "ok\n", ms);

async function cleanup(): Promise<void> {
  const outcome = checkComponent(inputs(uni.images.v1));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  await new UnikernelRuntime(transportFor(outcome.spec.node, outcome.spec.credentials)).remove(
    [NAME, `${NAME}-previous`],
    0,
  );
}

beforeAll(async () => {
  console.log(`[healthcheck-unikernel] QEMU acceleration: ${uni.accel}`);
  await cleanup();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
});

afterAll(async () => {
  await cleanup();
  await closeAllConnections();
});

describe(`a unikernel's health check over real SSH and QEMU (${uni.accel})`, {
  timeout: 400_000,
}, () => {
  let id = "";
  let state: Record<string, unknown> = {};

  it("a create whose endpoint answers only after a few seconds waits for it through the forwarded port", async () => {
    const written = readyAfter(6_000);
    const result = await create(inputs(uni.images.v1));
    expect(Date.now()).toBeGreaterThanOrEqual(await written);
    id = result.id;
    state = result.outs;
    expect(state).toMatchObject({ containerName: NAME, version: "v1.0.0", state: "running" });
    expect(await httpGet(`http://127.0.0.1:${PORT}/file/data/ready`)).toBe("ok\n");
  });

  it("an update to a version that never listens is rolled back; the tcp check saw no answer; v1 serves", async () => {
    const error = await failureOf(
      update(
        id,
        state,
        inputs(uni.images.neverListens, {
          healthcheck: {
            tcp: { port: 8080 },
            interval: 1,
            timeout: 1,
            retries: 3,
            startPeriod: 10,
          },
        }),
      ),
    );
    expect(error.message).toContain(`rolled back to ${uni.images.v1}`);
    expect(error.message).toContain(`${NAME} failed its health check 3 time(s) in a row`);
    expect(error.message).toContain(`(tcp 127.0.0.1:${PORT})`);
    // QEMU accepted the connection; only the missing answer tells.
    expect(error.message).toMatch(
      /failed: (no answer within 1s|connection closed without an answer)/,
    );
    // The console tail (what the guest printed so far: a TCG boot on a busy machine may not have
    // reached the program yet).
    expect(error.message).toContain("--- last 50 lines of its log ---");
    expect(await httpGet(`http://127.0.0.1:${PORT}/version`, 180_000)).toBe("v1.0.0");
  });

  it("refresh reports starting within the start period, unhealthy after it, while its check fails", async () => {
    rmSync(READY, { force: true });
    // The rollback booted v1 again moments ago: within its 200 s start period.
    expect((await provider.read(id, state)).props?.state).toBe("starting");
    const check = state.healthcheck as Record<string, unknown>;
    const noStartPeriod = { ...state, healthcheck: { ...check, startPeriod: 0 } };
    const read = await provider.read(id, noStartPeriod);
    expect(read.props).toMatchObject({
      containerName: NAME,
      runtime: "unikernel",
      state: "unhealthy",
    });
    writeFileSync(READY, "ok\n");
    expect((await provider.read(id, noStartPeriod)).props?.state).toBe("running");
  });
});
