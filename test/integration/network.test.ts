/**
 * Networks: a component's `network` is created on the node when it does not
 * exist yet (DNS on), and a component reaches another by its container name
 * over HTTP — as root and as the rootless login, over the real sshd.
 */
import { afterAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { checkedService, serviceProvider } from "./service-calls";
import { loadTestNodes, podman, podmanAs, type RootlessNodes, sshNodeInputs } from "./test-nodes";

const nodes = loadTestNodes() as RootlessNodes;

const lanes = [
  {
    label: "root",
    user: nodes.node.user,
    service: "n16",
    podman: (...args: string[]) => podman(...args),
  },
  {
    label: "rootless",
    user: nodes.rootless.user,
    service: "n16rl",
    podman: (...args: string[]) => podmanAs(nodes.rootless, ...args),
  },
];

function cleanUp(lane: (typeof lanes)[number], network: string) {
  for (const name of ["api", "web"]) {
    lane.podman("rm", "--force", "--time", "0", `${lane.service}-${name}`);
    lane.podman("rm", "--force", "--time", "0", `${lane.service}-${name}-previous`);
  }
  lane.podman("network", "rm", "--force", network);
}

afterAll(async () => {
  for (const lane of lanes) cleanUp(lane, `${lane.service}-net`);
  await closeAllConnections();
});

describe.each(lanes)("network with DNS ($label)", (lane) => {
  const network = `${lane.service}-net`;
  const base = sshNodeInputs(nodes);
  const inputs = (apiImage: string) => ({
    ...base,
    node: { ...base.node, user: lane.user },
    name: lane.service,
    components: [
      { name: "api", image: apiImage, network, stopTimeout: 1, minUptime: 1, startTimeout: 30 },
      { name: "web", image: nodes.images.v1, network, stopTimeout: 1, minUptime: 1 },
    ],
    componentEnv: [{}, {}],
  });
  // From inside web: a real HTTP request to api by its container name, through the network's DNS.
  // (busybox-static's `wget -T` segfaults: the time limit is busybox's `timeout`.)
  const fetchFromWeb = (host: string) =>
    lane.podman(
      "exec",
      `${lane.service}-web`,
      "timeout",
      "10",
      "wget",
      "-q",
      "-O",
      "-",
      `http://${host}:8080/version`,
    );

  it("creates the missing network (DNS on) and web reaches api as <service>-api; it survives an update and the delete", async () => {
    cleanUp(lane, network);
    expect(lane.podman("network", "exists", network).exitCode).toBe(1);

    // Both components ensure the network at once (the Service deploys them in parallel).
    const created = await serviceProvider.create(await checkedService(inputs(nodes.images.v1)));
    const inspected = JSON.parse(lane.podman("network", "inspect", network).stdout) as {
      dns_enabled?: boolean;
    }[];
    expect(inspected[0]?.dns_enabled).toBe(true);
    const call = fetchFromWeb(`${lane.service}-api`);
    expect(call.stderr).toBe("");
    expect(call.stdout).toBe("v1.0.0");
    // A name that is not a container on the network does not resolve: the answer above came by DNS.
    expect(fetchFromWeb(`${lane.service}-nope`).exitCode).not.toBe(0);

    // An update recreates api (set aside as -previous, then the new one): its name answers again.
    const next = await checkedService(inputs(nodes.images.v2));
    const updated = await serviceProvider.update(created.id, created.outs, next);
    expect(fetchFromWeb(`${lane.service}-api`).stdout).toBe("v2.0.0");

    // Deleting the service never deletes the network (another stack's component may use it).
    await serviceProvider.delete(created.id, updated.outs);
    expect(lane.podman("network", "exists", network).exitCode).toBe(0);
  });
});
