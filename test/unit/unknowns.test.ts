import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import componentProvider from "../../provider/resources/component-provider";
import serviceProvider from "../../provider/resources/service-provider";
import { UNKNOWN } from "../../provider/spec/unknown";
import { validInputs, validServiceInputs } from "./fixtures";

// The SDK's own unknown sentinel, as the engine sends it in a preview.
const SDK_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
type Bag = Record<string, unknown>;
const component = componentProvider as Required<pulumi.dynamic.ResourceProvider>;
const service = serviceProvider as Required<pulumi.dynamic.ResourceProvider>;

const base = (overrides: Bag = {}) =>
  validInputs({
    ports: ["8443:8443"],
    volumes: ["/srv/mcq:/srv/mcq"],
    env: { LOG_LEVEL: "info" },
    cmd: ["server"],
    ...overrides,
  });
const node = (extra: Bag = {}) => ({
  host: "rift.example.net",
  hostKey: `SHA256:${"A".repeat(43)}`,
  ...extra,
});

async function checkedComponent(inputs: Bag): Promise<Bag> {
  const result = await component.check({}, inputs);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Bag;
}

/** State as create would have written it: the checked inputs plus computed outputs. */
async function componentState(): Promise<Bag> {
  return {
    ...(await checkedComponent(base())),
    containerName: "mcq-api",
    version: "v0.4.0",
    state: "running",
    imageId: "sha256:1",
    startedAt: "2026-01-01T00:00:00Z",
  };
}

async function componentDiff(overrides: Bag) {
  const news = await checkedComponent(base(overrides));
  return component.diff("rift.example.net/mcq-api", await componentState(), news);
}

describe("Component check with unknown inputs (a preview)", () => {
  it("uses the SDK's sentinel", () => expect(UNKNOWN).toBe(SDK_UNKNOWN));

  it("normalises every known field and keeps each unknown one unknown in its place", async () => {
    const checked = await checkedComponent(
      base({
        image: SDK_UNKNOWN,
        ports: ["8443:8443", SDK_UNKNOWN],
        env: { LOG_LEVEL: "info", TOKEN: SDK_UNKNOWN },
        cmd: ["server", SDK_UNKNOWN],
      }),
    );
    expect(checked).toMatchObject({
      image: SDK_UNKNOWN,
      runtime: "container",
      restart: "unless-stopped",
      stopTimeout: 10,
      volumes: ["/srv/mcq:/srv/mcq"],
      env: { LOG_LEVEL: "info", TOKEN: SDK_UNKNOWN },
      cmd: ["server", SDK_UNKNOWN],
      node: { host: "rift.example.net", port: 22, user: "mcp", maxSessions: 8 },
    });
    expect([...(checked.ports as string[])].sort()).toEqual(
      ["127.0.0.1:8443:8443/tcp", SDK_UNKNOWN].sort(),
    );
  });

  it.each([
    ["a whole list", { ports: SDK_UNKNOWN }, "ports"],
    ["a whole map", { env: SDK_UNKNOWN }, "env"],
    ["a string", { user: SDK_UNKNOWN }, "user"],
    ["a number", { memoryMb: SDK_UNKNOWN }, "memoryMb"],
    ["the runtime", { runtime: SDK_UNKNOWN }, "runtime"],
    ["the whole node", { node: SDK_UNKNOWN }, "node"],
    ["the credentials", { credentials: SDK_UNKNOWN }, "credentials"],
  ])("%s unknown → passes check and stays unknown", async (_kind, override, field) => {
    expect((await checkedComponent(base(override)))[field]).toBe(SDK_UNKNOWN);
  });

  it("a node field unknown → the rest of the node is normalised, that field unknown", async () => {
    const checked = await checkedComponent(base({ node: node({ host: SDK_UNKNOWN }) }));
    expect(checked.node).toMatchObject({ host: SDK_UNKNOWN, port: 22, user: "mcp" });
    const key = await checkedComponent(base({ node: node({ hostKey: SDK_UNKNOWN }) }));
    expect(key.node).toMatchObject({ host: "rift.example.net", hostKey: SDK_UNKNOWN });
  });

  it("known bad values still fail, naming field and value, next to unknown ones", async () => {
    const result = await component.check(
      {},
      base({ image: SDK_UNKNOWN, ports: [SDK_UNKNOWN, "nonsense"], volumes: SDK_UNKNOWN }),
    );
    expect(result.failures?.map((failure) => failure.reason)).toEqual([
      expect.stringContaining('ports[1] = "nonsense"'),
    ]);
    const zod = await component.check({}, base({ image: SDK_UNKNOWN, restart: "sometimes" }));
    expect(zod.failures?.map((failure) => failure.reason)).toEqual([
      expect.stringContaining('restart = "sometimes"'),
    ]);
    expect(JSON.stringify([result.failures, zod.failures])).not.toContain(SDK_UNKNOWN);
  });

  it("a known unpinned image next to an unknown env value still fails", async () => {
    const result = await component.check(
      {},
      base({ image: "mcr.example.net/mcq:latest", env: { A: SDK_UNKNOWN } }),
    );
    expect(result.failures?.map((failure) => failure.property)).toEqual(["image"]);
  });
});

describe("Component diff with unknown inputs: an update unless a replace-field is unknown or differs", () => {
  it.each([
    ["image (string)", { image: SDK_UNKNOWN }],
    ["a list element", { ports: ["8443:8443", SDK_UNKNOWN] }],
    ["a whole list", { volumes: SDK_UNKNOWN }],
    ["a map value", { env: { LOG_LEVEL: SDK_UNKNOWN } }],
    ["a whole map", { env: SDK_UNKNOWN }],
    ["a cmd argument", { cmd: [SDK_UNKNOWN] }],
    ["a secret file's content", { secretFiles: { token: SDK_UNKNOWN } }],
    ["the whole secretFiles map", { secretFiles: SDK_UNKNOWN }],
    ["a number", { memoryMb: SDK_UNKNOWN }],
    ["a node connection field", { node: node({ connectTimeoutMs: SDK_UNKNOWN }) }],
    ["the host key", { node: node({ hostKey: SDK_UNKNOWN }) }],
    ["the credentials", { credentials: SDK_UNKNOWN }],
  ])("%s unknown → update, no replace", async (_kind, override) => {
    const diff = await componentDiff(override);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    expect(diff.deleteBeforeReplace ?? false).toBe(false);
  });

  it.each([
    ["runtime", { runtime: SDK_UNKNOWN }, ["runtime"]],
    ["service", { service: SDK_UNKNOWN }, ["service"]],
    ["name", { name: SDK_UNKNOWN }, ["name"]],
    ["node host", { node: node({ host: SDK_UNKNOWN }) }, ["node"]],
    ["node port", { node: node({ port: SDK_UNKNOWN }) }, ["node"]],
    ["node user", { node: node({ user: SDK_UNKNOWN }) }, ["node"]],
    ["node sudo", { node: node({ sudo: SDK_UNKNOWN }) }, ["node"]],
    ["node local", { node: node({ local: SDK_UNKNOWN }) }, ["node"]],
    ["the whole node", { node: SDK_UNKNOWN }, ["node"]],
  ])("%s unknown → replace of that field", async (_kind, override, replaces) => {
    expect(await componentDiff(override)).toMatchObject({ changes: true, replaces });
  });

  it("a known replace-field that differs replaces, whatever else is unknown", async () => {
    expect(
      await componentDiff({ runtime: "unikernel", env: { LOG_LEVEL: SDK_UNKNOWN } }),
    ).toMatchObject({ changes: true, replaces: ["runtime"], deleteBeforeReplace: true });
  });

  it("unknown values where nothing else changed never make a replace out of normalisation", async () => {
    // The bug: raw inputs against normalised state read as another runtime and node.
    const diff = await componentDiff({ env: { LOG_LEVEL: SDK_UNKNOWN } });
    expect(diff.replaces).toEqual([]);
  });
});

const serviceInputs = (overrides: Bag = {}): Bag =>
  validServiceInputs({ node: node(), ...overrides });

async function checkedService(inputs: Bag): Promise<Bag> {
  const result = await service.check({}, inputs);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Bag;
}

async function serviceDiff(overrides: Bag) {
  const olds = { ...(await checkedService(serviceInputs())), status: {} };
  return service.diff("rift.example.net/mcq", olds, await checkedService(serviceInputs(overrides)));
}

const withApi = (fields: Bag): Bag[] => [
  { name: "api", image: "reg:5000/mcq:v1", ports: ["8443:8443"], ...fields },
  { name: "web", image: "reg:5000/mcq-web:v1", ports: ["8080:80"] },
];

describe("Service check and diff with unknown inputs", () => {
  it("a component's unknown image: checked per name, the rest normalised; an update", async () => {
    const checked = await checkedService(
      serviceInputs({ components: withApi({ image: SDK_UNKNOWN }) }),
    );
    expect(checked.components).toMatchObject({
      api: { image: SDK_UNKNOWN, ports: ["127.0.0.1:8443:8443/tcp"], restart: "unless-stopped" },
      web: { image: "reg:5000/mcq-web:v1" },
    });
    expect(await serviceDiff({ components: withApi({ image: SDK_UNKNOWN }) })).toMatchObject({
      changes: true,
      replaces: [],
    });
  });

  it.each([
    ["a component's list element", { components: withApi({ ports: ["8443:8443", SDK_UNKNOWN] }) }],
    ["a component's whole list", { components: withApi({ volumes: SDK_UNKNOWN }) }],
    ["a component's runtime", { components: withApi({ runtime: SDK_UNKNOWN }) }],
    ["a component's env value", { componentEnv: [{ TOKEN: SDK_UNKNOWN }, {}] }],
    ["a component's whole env", { componentEnv: [SDK_UNKNOWN, {}] }],
    ["every component's env (a secret of unknown parts)", { componentEnv: SDK_UNKNOWN }],
    ["a whole component entry", { components: [withApi({})[0], SDK_UNKNOWN] }],
    ["a component's name", { components: withApi({ name: SDK_UNKNOWN }) }],
    ["the whole component list", { components: SDK_UNKNOWN }],
    ["the credentials", { credentials: SDK_UNKNOWN }],
    ["a node connection field", { node: node({ lockTimeoutMs: SDK_UNKNOWN }) }],
  ])("%s unknown → passes check; diff is an update, nothing throws", async (_kind, override) => {
    const diff = await serviceDiff(override);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
  });

  it("every component's env unknown → each component's env is unknown", async () => {
    const checked = await checkedService(serviceInputs({ componentEnv: SDK_UNKNOWN }));
    expect(checked.componentEnv).toBe(SDK_UNKNOWN);
    expect(checked.components).toMatchObject({ api: { name: "api" }, web: { name: "web" } });
  });

  it("an unknown component entry or name makes the component set unknown", async () => {
    const checked = await checkedService(
      serviceInputs({ components: [withApi({})[0], SDK_UNKNOWN] }),
    );
    expect(checked.components).toBe(SDK_UNKNOWN);
  });

  it.each([
    ["the service name", { name: SDK_UNKNOWN }, ["name"]],
    ["the node host", { node: node({ host: SDK_UNKNOWN }) }, ["node"]],
    ["the node user", { node: node({ user: SDK_UNKNOWN }) }, ["node"]],
    ["the whole node", { node: SDK_UNKNOWN }, ["node"]],
  ])("%s unknown → replace", async (_kind, override, replaces) => {
    expect(await serviceDiff(override)).toMatchObject({ changes: true, replaces });
  });

  it("a known bad value of another component still fails, naming component, field and value", async () => {
    const result = await service.check(
      {},
      serviceInputs({
        components: [
          { name: "api", image: SDK_UNKNOWN },
          { name: "web", image: "reg:5000/mcq-web:latest" },
        ],
      }),
    );
    expect(result.failures?.map((failure) => failure.reason)).toEqual([
      expect.stringContaining('components[1].image = "reg:5000/mcq-web:latest"'),
    ]);
  });
});
