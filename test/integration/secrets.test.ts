// Secret values never show on the node's process list while a deploy runs, nor in errors.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { create, provider, update } from "./provider-calls";
import { httpGet, loadTestNodes, removeContainers, sshNodeInputs } from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18491;
const NAME = "secrets-web";
const SECRET = "s3cr3t-env-value-7f1c";
const PS_LOG = `${nodes.stateDir}/ps-during-deploy.log`;

function inputs(image: string) {
  return {
    ...sshNodeInputs(nodes),
    service: "secrets",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    env: { API_TOKEN: SECRET },
    stopTimeout: 1,
    minUptime: 1,
  };
}

/** Samples the node's full process list (this machine) as fast as it can, into a file. */
function sampleProcessList(): ChildProcess {
  return spawn("bash", ["-c", `while :; do ps -eo args >> "${PS_LOG}"; done`], {
    stdio: "ignore",
    detached: true,
  });
}

beforeAll(() => {
  removeContainers(NAME);
  rmSync(PS_LOG, { force: true });
});
afterAll(async () => {
  removeContainers(NAME);
  await closeAllConnections();
});

describe("secrets during a deploy", () => {
  it("an env value never appears in the node's ps output while create and update run", async () => {
    const sampler = sampleProcessList();
    try {
      const created = await create(inputs(nodes.images.v1));
      await update(created.id, created.outs, inputs(nodes.images.v2));
      expect(await httpGet(`http://127.0.0.1:${PORT}/env/API_TOKEN`)).toBe(SECRET);
    } finally {
      if (sampler.pid) process.kill(-sampler.pid, "SIGKILL");
    }
    const seen = readFileSync(PS_LOG, "utf8");
    expect(seen).toContain("podman"); // the sampler did see the deploy's commands…
    expect(seen).not.toContain(SECRET); // …and never the secret
    expect(seen).not.toContain(readFileSync(nodes.node.privateKeyPath, "utf8").split("\n")[1]);
  });

  it("a failed update's error carries no env value", async () => {
    const live = await provider.read(`127.0.0.1:${nodes.node.port}/${NAME}`, {
      ...inputs(nodes.images.v2),
      containerName: NAME,
    });
    const error = await failureOf(
      update(live.id ?? "", live.props ?? {}, inputs(nodes.images.crash)),
    );
    expect(error.message).toContain("rolled back");
    expect(error.message).not.toContain(SECRET);
  });
});
