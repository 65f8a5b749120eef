import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { failureOf } from "./failure-of";
import { checkedService, serviceProvider } from "./service-calls";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  removeContainers,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const PORTS = { web: 18441, api: 18442, worker: 18443 };
const NAMES = ["svc-web", "svc-api", "svc-worker"];

type Component = { name: string; image: string; port: number; env?: Record<string, string> };

function inputs(components: Component[], extra: Record<string, unknown> = {}) {
  return {
    ...sshNodeInputs(nodes),
    name: "svc",
    components: components.map(({ name, image, port }) => ({
      name,
      image,
      ports: [`127.0.0.1:${port}:8080`],
      stopTimeout: 1,
      minUptime: 1,
      startTimeout: 20,
    })),
    componentEnv: components.map((c) => c.env ?? {}),
    ...extra,
  };
}

const version = async (port: number) => (await httpGet(`http://127.0.0.1:${port}/version`)).trim();
const ours = () => containerNames().filter((name) => name.startsWith("svc-"));

function removeAll() {
  for (const name of NAMES) removeContainers(name, `${name}-previous`);
}

beforeAll(removeAll);
afterAll(async () => {
  removeAll();
  await closeAllConnections();
});

describe("Service over real SSH and podman", () => {
  let id = "";
  let state: Record<string, unknown> = {};
  const v1 = nodes.images.v1;
  const v2 = nodes.images.v2;

  it("creates every component, in parallel, and reports each one's version and state", async () => {
    const created = await serviceProvider.create(
      await checkedService(
        inputs([
          { name: "web", image: v1, port: PORTS.web, env: { TOKEN: "web-token" } },
          { name: "api", image: v1, port: PORTS.api },
        ]),
      ),
    );
    id = created.id;
    state = created.outs;
    expect(state.status).toMatchObject({
      web: { containerName: "svc-web", version: "v1.0.0", state: "running" },
      api: { containerName: "svc-api", version: "v1.0.0", state: "running" },
    });
    expect(await version(PORTS.web)).toBe("v1.0.0");
    expect(await httpGet(`http://127.0.0.1:${PORTS.web}/env/TOKEN`)).toBe("web-token");
    expect(await version(PORTS.api)).toBe("v1.0.0");
  });

  it("converges: changed updated in place, removed deleted, new created; the rest untouched", async () => {
    const next = inputs([
      { name: "web", image: v2, port: PORTS.web, env: { TOKEN: "web-token" } },
      { name: "worker", image: v1, port: PORTS.worker },
    ]);
    const diff = await serviceProvider.diff(id, state, await checkedService(next));
    expect(diff).toMatchObject({ changes: true });
    expect(diff.replaces ?? []).toEqual([]);
    state = (await serviceProvider.update(id, state, await checkedService(next))).outs;
    expect(await version(PORTS.web)).toBe("v2.0.0");
    expect(await version(PORTS.worker)).toBe("v1.0.0");
    expect(ours().sort()).toEqual(["svc-web", "svc-worker"]);
  });

  it("a failing component leaves the others as they were, the error names it, state records what exists", async () => {
    const next = inputs([
      { name: "web", image: nodes.images.crash, port: PORTS.web, env: { TOKEN: "web-token" } },
      { name: "worker", image: v2, port: PORTS.worker },
    ]);
    const error = (await failureOf(
      serviceProvider.update(id, state, await checkedService(next)),
    )) as Error & {
      properties?: Record<string, unknown>;
    };
    expect(error.message).toContain("component web");
    expect(error.message).toContain("crashing on purpose");
    expect(await version(PORTS.web)).toBe("v2.0.0"); // rolled back
    expect(await version(PORTS.worker)).toBe("v2.0.0"); // its own update went through
    const partial = error.properties as { components: Record<string, { image: string }> };
    expect(partial.components.web?.image).toBe(v2);
    expect(partial.components.worker?.image).toBe(v2);
    state = error.properties ?? state;
  });

  it("active: false stops every component but keeps it; true starts them again", async () => {
    const components: Component[] = [
      { name: "web", image: v2, port: PORTS.web, env: { TOKEN: "web-token" } },
      { name: "worker", image: v2, port: PORTS.worker },
    ];
    state = (
      await serviceProvider.update(
        id,
        state,
        await checkedService(inputs(components, { active: false })),
      )
    ).outs;
    expect(state.status).toMatchObject({ web: { state: "exited" }, worker: { state: "exited" } });
    expect(ours().sort()).toEqual(["svc-web", "svc-worker"]);
    state = (
      await serviceProvider.update(
        id,
        state,
        await checkedService(inputs(components, { active: true })),
      )
    ).outs;
    expect(state.status).toMatchObject({ web: { state: "running" }, worker: { state: "running" } });
    expect(await version(PORTS.worker)).toBe("v2.0.0");
  });

  it("read sees a component removed out of band; delete removes the rest", async () => {
    removeContainers("svc-worker");
    const read = await serviceProvider.read(id, state);
    expect(Object.keys((read.props as { status: object }).status)).toEqual(["web"]);
    await serviceProvider.delete(id, state);
    expect(ours()).toEqual([]);
  });
});
