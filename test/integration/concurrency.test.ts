import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allCounters, closeAllConnections } from "../../provider/transport";
import { create, provider, update } from "./provider-calls";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const COUNT = 20;
const BASE_PORT = 18500;
const names = Array.from({ length: COUNT }, (_, i) => `many-c${i}`);

function inputs(index: number, image: string) {
  return {
    ...sshNodeInputs(nodes),
    service: "many",
    name: `c${index}`,
    image,
    ports: [`127.0.0.1:${BASE_PORT + index}:8080`],
    stopTimeout: 1,
    minUptime: 0.5,
    startTimeout: 90,
  };
}

function channels(): number {
  return [...allCounters().values()].reduce((sum, c) => sum + c.channels, 0);
}

function handshakes(): number {
  return [...allCounters().values()].reduce((sum, c) => sum + c.handshakes, 0);
}

function removeAll(): void {
  for (const name of names) removeContainers(name, `${name}-previous`);
}

beforeAll(async () => {
  removeAll();
  await closeAllConnections();
});
afterAll(async () => {
  removeAll();
  await closeAllConnections();
});

describe(`${COUNT} components on one node at once`, () => {
  const states: { id: string; outs: Record<string, unknown> }[] = [];

  it("all create, over one SSH connection, with podman's transient lock errors absorbed", async () => {
    const before = handshakes();
    const created = await Promise.all(names.map((_, i) => create(inputs(i, nodes.images.v1))));
    states.push(...created);
    expect(handshakes() - before).toBe(1);
    const versions = await Promise.all(
      names.map((_, i) => httpGet(`http://127.0.0.1:${BASE_PORT + i}/version`)),
    );
    expect(new Set(versions)).toEqual(new Set(["v1.0.0"]));
  });

  it("a refresh of all of them, from a cold connection and spread over 100 ms, costs at most two round trips", async () => {
    await closeAllConnections();
    const before = channels();
    // The engine's Read calls do not arrive at once: stagger them as they would.
    const reads = await Promise.all(
      states.map(async (state, index) => {
        await new Promise((resolve) => setTimeout(resolve, index * 5));
        return provider.read(state.id, state.outs);
      }),
    );
    expect(reads.every((read) => read.id)).toBe(true);
    // One batch collects every read that arrives while connecting; reads arriving
    // after the connection is up (a fast handshake) make at most one more.
    expect(channels() - before).toBeLessThanOrEqual(2);
  });

  it("all update at once, in one command each (look, set aside, run, inspect) plus shared batches", async () => {
    const before = channels();
    const updated = await Promise.all(
      states.map((state, i) => update(state.id, state.outs, inputs(i, nodes.images.v2))),
    );
    updated.forEach((outs, i) => {
      const state = states[i];
      if (state) state.outs = outs;
    });
    const versions = await Promise.all(
      names.map((_, i) => httpGet(`http://127.0.0.1:${BASE_PORT + i}/version`)),
    );
    expect(new Set(versions)).toEqual(new Set(["v2.0.0"]));
    const used = channels() - before;
    console.log(`update of ${COUNT}: ${used} exec channels`);
    // Per component: look (inspect it and its -previous), stop, rename aside, run and inspect in
    // one command (the first one pulls too; the others wait for that pull); then one look after
    // minUptime and the removal of the set-aside container, batched with whichever others
    // arrive together (they finish at different times). 30 measured; 33 with the look and the
    // pull as shared commands before it, 80 when stop+rename and run+inspect were two
    // commands, 97-102 when every step had its own channel.
    expect(used).toBeLessThanOrEqual(2 * COUNT);
  });

  it("all delete at once, their removals batched into a few podman rm", async () => {
    const before = channels();
    await Promise.all(states.map((state) => provider.delete(state.id, state.outs)));
    expect(containerNames().filter((name) => name.startsWith("many-"))).toEqual([]);
    const used = channels() - before;
    console.log(`delete of ${COUNT}: ${used} exec channels`);
    expect(used).toBeLessThanOrEqual(5);
  });
});
