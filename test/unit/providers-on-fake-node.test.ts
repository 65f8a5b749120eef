import type * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it, vi } from "vitest";
import componentProvider from "../../provider/resources/component-provider";
import serviceProvider from "../../provider/resources/service-provider";
import { FakeRuntime } from "./fakes/fake-runtime";

// Every runtime the providers ask for is the fake node's: no SSH, no podman (vi.mock is hoisted).
const fake = vi.hoisted(() => ({
  node: undefined as FakeRuntime | undefined,
  runtimes: 0,
  keys: [] as (string | undefined)[],
}));
vi.mock("../../provider/runtime/index", async (original) => ({
  ...(await original<typeof import("../../provider/runtime/index")>()),
  runtimeFor: (spec: { credentials?: { privateKey?: string } }) => {
    fake.runtimes += 1;
    fake.keys.push(spec.credentials?.privateKey);
    if (!fake.node) throw new Error("no fake node");
    return fake.node;
  },
}));

type Bag = Record<string, unknown>;
type Provider = Required<pulumi.dynamic.ResourceProvider>;
const component = componentProvider as Provider;
const service = serviceProvider as Provider;

const OLD_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nold\n";
const NEW_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnew\n";
// The fake node has no systemd: these tests are about everything but boot units.
const node = (extra: Bag = {}) => ({
  host: "rift.example.net",
  hostKey: `SHA256:${"A".repeat(43)}`,
  bootPersistence: false,
  ...extra,
});

/** Runs check, then diff and (when it says so) update, as the engine does. */
async function change(provider: Provider, olds: Bag, inputs: Bag) {
  const checked = (await provider.check(olds, inputs)).inputs as Bag;
  const diff = await provider.diff("id", olds, checked);
  const outs = diff.changes
    ? ((await provider.update("id", olds, checked)).outs as Bag)
    : undefined;
  return { diff, outs };
}

async function created(provider: Provider, inputs: Bag): Promise<Bag> {
  const checked = (await provider.check({}, inputs)).inputs as Bag;
  return (await provider.create(checked)).outs as Bag;
}

const rotations: [string, Bag, Bag][] = [
  ["privateKey", {}, { credentials: { privateKey: NEW_KEY } }],
  ["passphrase", {}, { credentials: { privateKey: OLD_KEY, passphrase: "pw" } }],
  ["agent", {}, { credentials: { agent: "/run/agent.sock" } }],
  ["hostKey", { node: node({ hostKey: `SHA256:${"B".repeat(43)}` }) }, {}],
  ["knownHosts", { node: node({ knownHosts: "rift.example.net ssh-ed25519 AAAA" }) }, {}],
  ["insecureIgnoreHostKey", { node: node({ insecureIgnoreHostKey: true }) }, {}],
  ["connectTimeoutMs", { node: node({ connectTimeoutMs: 1500 }) }, {}],
  ["commandTimeoutMs", { node: node({ commandTimeoutMs: 5000 }) }, {}],
  ["connectRetries", { node: node({ connectRetries: 0 }) }, {}],
  ["maxSessions", { node: node({ maxSessions: 4 }) }, {}],
  ["lockTimeoutMs", { node: node({ lockTimeoutMs: 1000 }) }, {}],
];

beforeEach(() => {
  fake.node = new FakeRuntime();
  fake.runtimes = 0;
  fake.keys = [];
});

describe("Component: a change of how the node is reached is an update of state only", () => {
  const inputs = (extra: Bag = {}): Bag => ({
    node: node(),
    credentials: { privateKey: OLD_KEY },
    service: "mcq",
    name: "api",
    image: "reg:5000/mcq:v1",
    minUptime: 0,
    startTimeout: 5,
    ...extra,
  });

  it.each(rotations)(
    "only %s → update, no replace; new values in state; no connection",
    async (_f, nodeChange, creds) => {
      const olds = await created(component, inputs());
      fake.runtimes = 0;
      const { diff, outs } = await change(component, olds, inputs({ ...nodeChange, ...creds }));
      expect(diff).toMatchObject({ changes: true });
      expect(diff.replaces ?? []).toEqual([]);
      expect(fake.runtimes).toBe(0); // no runtime, so no transport, lock or SSH connection
      expect(outs).toMatchObject({
        ...nodeChange,
        ...creds,
        startedAt: olds.startedAt,
        containerName: "mcq-api",
      });
    },
  );

  it("minUptime or startTimeout only → state only, the container is not recreated", async () => {
    const olds = await created(component, inputs());
    fake.runtimes = 0;
    const { outs } = await change(component, olds, inputs({ minUptime: 1, startTimeout: 30 }));
    expect(fake.runtimes).toBe(0);
    expect(outs).toMatchObject({ minUptime: 1, startTimeout: 30, startedAt: olds.startedAt });
  });

  it("the same inputs again → no change; ports in another order → still none (the full diff)", async () => {
    const olds = await created(component, inputs({ ports: ["8080:80", "9090:90"] }));
    const again = (await component.check(olds, inputs({ ports: ["8080:80", "9090:90"] }))).inputs;
    expect(await component.diff("id", olds, again as Bag)).toEqual({ changes: false });
    const swapped = (await component.check(olds, inputs({ ports: ["9090:90", "8080:80"] }))).inputs;
    expect((await component.diff("id", olds, swapped as Bag)).changes).toBe(false);
    const other = (await component.check(olds, inputs({ ports: ["8081:80", "9090:90"] }))).inputs;
    expect((await component.diff("id", olds, other as Bag)).changes).toBe(true);
  });

  it("adopt never makes a diff", async () => {
    const olds = await created(component, inputs());
    const checked = (await component.check(olds, inputs({ adopt: true }))).inputs as Bag;
    expect((await component.diff("id", olds, checked)).changes).toBe(false);
  });

  it("an image change still recreates the container", async () => {
    const olds = await created(component, inputs());
    const { outs } = await change(component, olds, inputs({ image: "reg:5000/mcq:v2" }));
    expect(outs).toMatchObject({ version: "v2" });
    expect(outs?.startedAt).not.toBe(olds.startedAt);
  });
});

describe("Service: a component's change goes the way a Component's does", () => {
  const inputs = (api: Bag = {}, extra: Bag = {}): Bag => ({
    node: node(),
    credentials: { privateKey: OLD_KEY },
    name: "mcq",
    components: [
      { name: "api", image: "reg:5000/mcq:v1", minUptime: 0, startTimeout: 5, ...api },
      { name: "web", image: "reg:5000/mcq-web:v1", minUptime: 0, startTimeout: 5 },
    ],
    componentEnv: [{}, {}],
    ...extra,
  });

  it.each([
    ["minUptime", { minUptime: 1 }],
    ["startTimeout", { startTimeout: 30 }],
  ])(
    "only a component's %s → update of state only: nothing recreated, no connection",
    async (_f, api) => {
      const olds = await created(service, inputs());
      const before = [...(fake.node?.calls ?? [])];
      fake.runtimes = 0;
      const { diff, outs } = await change(service, olds, inputs(api));
      expect(diff).toMatchObject({ changes: true });
      expect(diff.replaces ?? []).toEqual([]);
      expect(fake.node?.calls).toEqual(before);
      expect(fake.runtimes).toBe(0);
      expect(outs).toMatchObject({ components: { api }, status: olds.status as Bag });
    },
  );

  it.each(rotations)(
    "only %s → update of state only, new values in state, no connection",
    async (_f, nodeChange, creds) => {
      const olds = await created(service, inputs());
      fake.runtimes = 0;
      const { diff, outs } = await change(service, olds, inputs({}, { ...nodeChange, ...creds }));
      expect(diff).toMatchObject({ changes: true });
      expect(diff.replaces ?? []).toEqual([]);
      expect(fake.runtimes).toBe(0);
      expect(outs).toMatchObject({ ...nodeChange, ...creds, status: olds.status as Bag });
    },
  );

  it("a rotated key with work on the node: every step, removals too, connects with the new key", async () => {
    const olds = await created(service, inputs());
    fake.keys = [];
    const news = inputs({ image: "reg:5000/mcq:v2" }, { credentials: { privateKey: NEW_KEY } });
    const { outs } = await change(service, olds, {
      ...news,
      components: (news.components as Bag[]).slice(0, 1),
      componentEnv: [{}],
    });
    expect(fake.node?.workloads.has("mcq-web")).toBe(false);
    expect(fake.keys.length).toBeGreaterThan(0);
    expect(new Set(fake.keys)).toEqual(new Set([NEW_KEY]));
    expect(outs).toMatchObject({ credentials: { privateKey: NEW_KEY } });
  });

  it("an image change recreates that component only, under the node lock", async () => {
    const olds = await created(service, inputs());
    const status = olds.status as Record<string, Bag>;
    const node = fake.node as FakeRuntime;
    node.calls.length = 0;
    const { outs } = await change(service, olds, inputs({ image: "reg:5000/mcq:v2" }));
    expect(node.calls).toEqual(
      expect.arrayContaining(["setAside mcq-api mcq-api-previous", "run mcq-api reg:5000/mcq:v2"]),
    );
    expect(node.calls.filter((call) => call.includes("mcq-web"))).toEqual([]);
    const after = outs?.status as Record<string, Bag>;
    expect(after.web).toEqual(status.web);
    expect(after.api?.version).toBe("v2");
  });
});

describe("Service adopt: each component is taken over like a Component", () => {
  const inputs = (extra: Bag = {}): Bag => ({
    node: node(),
    credentials: { privateKey: OLD_KEY },
    name: "mcq",
    components: [{ name: "api", image: "reg:5000/mcq:v1", minUptime: 0, startTimeout: 5 }],
    componentEnv: [{}],
    ...extra,
  });
  const byHand = (image: string): void => {
    fake.node?.workloads.set("mcq-api", {
      name: "mcq-api",
      runtime: "container",
      image,
      version: "v1",
      imageDigest: "",
      imageId: "sha256:hand",
      state: "running",
      running: true,
      exitCode: 0,
      restartCount: 0,
      startedAt: "by-hand",
      restart: "unless-stopped",
      ports: [],
      volumes: [],
      cmd: [],
      env: {},
      labels: {},
    });
  };

  it("adopt: true and a matching container → created without a run; its start time kept", async () => {
    byHand("reg:5000/mcq:v1");
    const outs = await created(service, inputs({ adopt: true }));
    expect(outs).toMatchObject({ adopt: true, status: { api: { startedAt: "by-hand" } } });
    expect(fake.node?.calls.some((call) => call.startsWith("run"))).toBe(false);
  });

  it("without adopt → the create fails naming the component and pointing to adopt: true", async () => {
    byHand("reg:5000/mcq:v1");
    await expect(created(service, inputs())).rejects.toThrow(/component api: .*set adopt: true/s);
  });

  it("a mismatch → refused naming the field; the container is left as it was", async () => {
    byHand("reg:5000/mcq:v0");
    await expect(created(service, inputs({ adopt: true }))).rejects.toThrow(
      /image: the inputs say/,
    );
    expect(fake.node?.workloads.get("mcq-api")?.startedAt).toBe("by-hand");
  });

  it("adopt never makes a diff", async () => {
    const olds = await created(service, inputs());
    const checked = (await service.check(olds, inputs({ adopt: true }))).inputs as Bag;
    expect((await service.diff("id", olds, checked)).changes).toBe(false);
  });
});

describe("Component attestation: the digest it was started from", () => {
  const inputs: Bag = {
    node: node(),
    credentials: { privateKey: OLD_KEY },
    service: "mcq",
    name: "api",
    image: "reg:5000/mcq:v1",
    minUptime: 0,
    startTimeout: 5,
  };

  it("records it, and a refresh of the same digest changes nothing", async () => {
    const outs = await created(component, inputs);
    expect(outs.imageDigest).toBe("digest-of-reg:5000/mcq:v1");
    const read = await component.read("id", outs);
    expect(read.props?.image).toBe("reg:5000/mcq:v1");
    expect(read.props?.imageDigest).toBe(outs.imageDigest);
  });

  it("a container running another digest under the same reference shows as drift naming it", async () => {
    const outs = await created(component, inputs);
    const live = fake.node?.workloads.get("mcq-api");
    if (!live) throw new Error("no workload");
    const other = `sha256:${"c".repeat(64)}`;
    fake.node?.workloads.set("mcq-api", { ...live, imageDigest: other });
    const read = await component.read("id", outs);
    expect(read.props?.image).toBe(`reg:5000/mcq@${other}`);
    expect(read.props?.imageDigest).toBe(other);
    // The next preview: an update back to the program's image.
    const checked = (await component.check(read.props as Bag, inputs)).inputs as Bag;
    const diff = await component.diff("id", read.props as Bag, checked);
    expect(diff.changes).toBe(true);
  });
});
