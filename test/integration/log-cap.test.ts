/**
 * The container log cap over the real sshd and podman: the default and an
 * explicit `logMaxSize` reach podman as a k8s-file log with that max-size,
 * "unlimited" leaves podman's own log settings, and a change recreates.
 */
import { afterAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { create, provider, update } from "./provider-calls";
import { loadTestNodes, podman, removeContainers, sshNodeInputs } from "./test-nodes";

const nodes = loadTestNodes();
const NAME = "l16-web";

function inputs(extra: Record<string, unknown> = {}) {
  return {
    ...sshNodeInputs(nodes),
    service: "l16",
    name: "web",
    image: nodes.images.v1,
    stopTimeout: 1,
    minUptime: 1,
    ...extra,
  };
}

const logConfig = () =>
  JSON.parse(
    podman("container", "inspect", "--format", "{{json .HostConfig.LogConfig}}", NAME).stdout,
  ) as { Type: string; Size: string };

afterAll(async () => {
  removeContainers(NAME, `${NAME}-previous`);
  await closeAllConnections();
});

describe("container log cap", () => {
  it("caps at 10m by default, as asked after an update, and not at all with unlimited", async () => {
    removeContainers(NAME, `${NAME}-previous`);
    const created = await create(inputs());
    expect(created.outs.logMaxSize).toBe("10m");
    expect(logConfig()).toMatchObject({ Type: "k8s-file", Size: "10MB" });

    const diff = await provider.diff(
      created.id,
      created.outs,
      (await provider.check(created.outs, inputs({ logMaxSize: "512k" }))).inputs,
    );
    expect(diff.changes).toBe(true);
    const capped = await update(created.id, created.outs, inputs({ logMaxSize: "512k" }));
    expect(logConfig()).toMatchObject({ Type: "k8s-file", Size: "512kB" });

    const unlimited = await update(created.id, capped, inputs({ logMaxSize: "unlimited" }));
    expect(unlimited.logMaxSize).toBe("unlimited");
    // podman's own default (the fixture's containers.conf says k8s-file), no size.
    expect(logConfig().Size).toBe("0B");
    await provider.delete(created.id, unlimited);
  });
});
