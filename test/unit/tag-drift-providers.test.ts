// A tag refresh found moved in the registry, through the Component and Service providers on a
// fake node (no SSH, no podman): what read records, what diff then says, what update does, and
// that an update of a pinned component keeps its pin. The real thing: test/integration/pin-digest.test.ts.
import type * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it, vi } from "vitest";
import componentProvider from "../../provider/resources/component-provider";
import serviceProvider from "../../provider/resources/service-provider";
import { FakeRuntime } from "./fakes/fake-runtime";

const fake = vi.hoisted(() => ({ node: undefined as FakeRuntime | undefined }));
vi.mock("../../provider/runtime/index", async (original) => ({
  ...(await original<typeof import("../../provider/runtime/index")>()),
  runtimeFor: () => {
    if (!fake.node) throw new Error("no fake node");
    return fake.node;
  },
}));

type Bag = Record<string, unknown>;
type Provider = Required<pulumi.dynamic.ResourceProvider>;
const component = componentProvider as Provider;
const service = serviceProvider as Provider;

const IMAGE = "reg:5000/mcq:v1";
const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const node = {
  host: "rift.example.net",
  hostKey: `SHA256:${"A".repeat(43)}`,
  bootPersistence: false,
};
const credentials = { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n" };

async function checked(provider: Provider, inputs: Bag, olds: Bag = {}): Promise<Bag> {
  return (await provider.check(olds, inputs)).inputs as Bag;
}

/** The node's answer: the registry holds `digest` under the tag; the running image is known as A. */
function registryHolds(digest: string): string {
  return `digest 1 ${digest}\nrepodigests 1 ["reg:5000/mcq@${A}"]\n`;
}

beforeEach(() => {
  fake.node = new FakeRuntime();
});

describe("Component", () => {
  const inputs = (extra: Bag = {}): Bag => ({
    node,
    credentials,
    service: "mcq",
    name: "api",
    image: IMAGE,
    minUptime: 0,
    ...extra,
  });

  it("the registry holding what runs: recorded, no change", async () => {
    const outs = (await component.create(await checked(component, inputs()))).outs as Bag;
    if (fake.node) fake.node.registryAnswer = registryHolds(A);
    const read = await component.read("id", outs);
    expect(read.props).toMatchObject({ image: IMAGE, registryDigest: A });
    expect(
      (await component.diff("id", read.props as Bag, await checked(component, inputs()))).changes,
    ).toBe(false);
  });

  it("moved, not pinned: an update that pulls the tag and recreates it", async () => {
    const outs = (await component.create(await checked(component, inputs()))).outs as Bag;
    if (fake.node) fake.node.registryAnswer = registryHolds(B);
    const read = (await component.read("id", outs)).props as Bag;
    expect(read).toMatchObject({ image: `${IMAGE}@${A}`, registryDigest: B });
    const news = await checked(component, inputs());
    expect((await component.diff("id", read, news)).changes).toBe(true);
    const calls = fake.node?.calls.length ?? 0;
    const updated = (await component.update("id", read, news)).outs as Bag;
    expect(fake.node?.calls.slice(calls)).toEqual(expect.arrayContaining([`pull ${IMAGE}`]));
    expect(updated.image).toBe(IMAGE);
  });

  it("an unknown answer (no skopeo) is recorded as unknown and is no change", async () => {
    const outs = (await component.create(await checked(component, inputs()))).outs as Bag;
    if (fake.node) fake.node.registryAnswer = "noskopeo\n";
    const read = (await component.read("id", outs)).props as Bag;
    expect(read).toMatchObject({ image: IMAGE, registryDigest: "unknown" });
    expect((await component.diff("id", read, await checked(component, inputs()))).changes).toBe(
      false,
    );
  });

  it("pinned: a recreate for another field pulls and runs the pinned reference", async () => {
    const pinned = {
      ...((await component.create(await checked(component, inputs({ pinDigest: true }))))
        .outs as Bag),
      pinnedImage: `${IMAGE}@${A}`,
    };
    const calls = fake.node?.calls.length ?? 0;
    const news = await checked(component, inputs({ pinDigest: true, env: { X: "1" } }));
    const updated = (await component.update("id", pinned, news)).outs as Bag;
    expect(fake.node?.calls.slice(calls)).toContain(`pull ${IMAGE}@${A}`);
    expect(updated).toMatchObject({ image: IMAGE, pinnedImage: `${IMAGE}@${A}` });
  });
});

describe("Service", () => {
  const inputs = (pinDigest?: boolean, env: Bag = {}): Bag => ({
    node,
    credentials,
    name: "mcq",
    components: [{ name: "api", image: IMAGE, minUptime: 0, ...(pinDigest ? { pinDigest } : {}) }],
    componentEnv: [env],
  });

  it("moved, not pinned: the component's image is the tag at the digest that runs; an update", async () => {
    const outs = (await service.create(await checked(service, inputs()))).outs as Bag;
    if (fake.node) fake.node.registryAnswer = registryHolds(B);
    const read = (await service.read("id", outs)).props as Bag;
    expect(read).toMatchObject({
      components: { api: { image: `${IMAGE}@${A}` } },
      status: { api: { registryDigest: B } },
    });
    expect((await service.diff("id", read, await checked(service, inputs()))).changes).toBe(true);
  });

  it("pinned: no change after the tag moved; a recreate for env keeps the pin", async () => {
    const created = (await service.create(await checked(service, inputs(true)))).outs as Bag;
    const status = created.status as Record<string, Bag>;
    const outs = { ...created, status: { api: { ...status.api, pinnedImage: `${IMAGE}@${A}` } } };
    // The fake node resolves nothing: its workload is made pinned as a real pinned deploy leaves it.
    const live = fake.node?.workloads.get("mcq-api");
    if (live) fake.node?.workloads.set("mcq-api", { ...live, pinnedImage: `${IMAGE}@${A}` });
    if (fake.node) fake.node.registryAnswer = registryHolds(B);
    const read = (await service.read("id", outs)).props as Bag;
    expect(read).toMatchObject({
      components: { api: { image: IMAGE } },
      status: { api: { registryDigest: B } },
    });
    expect((await service.diff("id", read, await checked(service, inputs(true)))).changes).toBe(
      false,
    );
    const calls = fake.node?.calls.length ?? 0;
    await service.update("id", read, await checked(service, inputs(true, { X: "1" })));
    expect(fake.node?.calls.slice(calls)).toContain(`pull ${IMAGE}@${A}`);
  });
});
