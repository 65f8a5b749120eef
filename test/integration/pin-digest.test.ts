// pinDigest and the registry check at refresh, over the real sshd with the real podman, skopeo and
// registries (127.0.0.1:5055, and the one that wants a login, 5056): a pinned component runs the
// digest its tag held at deploy; the tag re-pushed by hand with other content shows on refresh
// naming both digests; the pinned one keeps its digest through a `podman restart` and a recreate
// for another field; the unpinned one is updated to the tag's new content; a registry that cannot
// be asked is "unknown" and fails no refresh.

import { readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { authFileInHome } from "../../provider/commands/registry-login";
import { allCounters, closeAllConnections } from "../../provider/transport";
import {
  loadPrivateRegistry,
  registryAnswers,
  removeRegistryLogin,
  setRegistryLogin,
} from "./private-registry";
import { create, provider, update } from "./provider-calls";
import { httpGet, loadTestNodes, podman, removeContainers, sshNodeInputs } from "./test-nodes";

type Bag = Record<string, unknown>;

const nodes = loadTestNodes();
const REPO = `${nodes.registry}/wt17a-pin/web-${process.pid}-${Date.now().toString(36)}`;
const TAG = `${REPO}:v1`;
const PORTS = { pinned: 18861, loose: 18862, auth: 18863 };
const SERVICE = "wt17apin";
const NAMES = ["pinned", "loose", "auth"].map((name) => `${SERVICE}-${name}`);

function inputs(name: keyof typeof PORTS, image: string, extra: Bag = {}): Bag {
  return {
    ...sshNodeInputs(nodes),
    service: SERVICE,
    name,
    image,
    ports: [`127.0.0.1:${PORTS[name]}:8080`],
    stopTimeout: 1,
    minUptime: 0,
    startTimeout: 20,
    ...extra,
  };
}

/** Puts `source`'s content under TAG in the registry by hand; returns the pushed digest. */
function pushAsTag(source: string): string {
  expect(podman("tag", source, TAG).exitCode).toBe(0);
  const digestFile = `/tmp/wt17a-pin-${process.pid}.digest`;
  const pushed = podman("push", "--quiet", "--digestfile", digestFile, TAG);
  expect(pushed.exitCode, pushed.stderr).toBe(0);
  return readFileSync(digestFile, "utf8").trim();
}

function channels(): number {
  return [...allCounters().values()].reduce((sum, c) => sum + c.channels, 0);
}

const served = async (name: keyof typeof PORTS) =>
  (await httpGet(`http://127.0.0.1:${PORTS[name]}/version`)).trim();

function imageIdOf(container: string): string {
  return podman("container", "inspect", "--format", "{{.Image}}", container).stdout.trim();
}

/** What the provider said on stderr (its notice lines) while a test ran. */
let said: string[] = [];
beforeEach(() => {
  said = [];
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array, ...rest) => {
    said.push(String(chunk));
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  });
});
afterEach(() => vi.restoreAllMocks());

beforeAll(() => {
  removeContainers(...NAMES);
  for (const image of [nodes.images.v1, nodes.images.v2])
    expect(podman("pull", "--quiet", image).exitCode).toBe(0);
});

afterAll(async () => {
  removeContainers(...NAMES);
  podman("rmi", "--force", TAG);
  await closeAllConnections();
});

describe("pinDigest and a tag moved in the registry, over SSH", { timeout: 120_000 }, () => {
  let first = "";
  let moved = "";
  let pinned: Bag = {};
  let loose: Bag = {};

  it("a pinned component runs repo:tag@digest, the digest the registry held under the tag", async () => {
    first = pushAsTag(nodes.images.v1);
    ({ outs: pinned } = await create(inputs("pinned", TAG, { pinDigest: true })));
    ({ outs: loose } = await create(inputs("loose", TAG)));
    expect(pinned.pinnedImage).toBe(`${TAG}@${first}`);
    expect(pinned.registryDigest).toBe(first);
    expect(pinned.image).toBe(TAG);
    expect(pinned.version).toBe("v1");
    expect(loose.pinnedImage).toBeUndefined();
    // podman was asked for exactly that digest.
    const recorded = podman(
      "container",
      "inspect",
      "--format",
      "{{.ImageName}}",
      `${SERVICE}-pinned`,
    );
    expect(recorded.stdout.trim()).toBe(`${REPO}@${first}`);
    expect(await served("pinned")).toBe("v1.0.0");
    // A refresh right after: no drift, no preview change, the registry's digest recorded.
    const read = await provider.read(`x/${SERVICE}-pinned`, pinned);
    expect(read.props?.image).toBe(TAG);
    expect(read.props?.registryDigest).toBe(first);
    expect((await provider.diff("x", read.props ?? {}, pinned)).changes).toBe(false);
    const looseRead = await provider.read(`x/${SERVICE}-loose`, loose);
    expect(looseRead.props?.image).toBe(TAG);
    expect(looseRead.props?.registryDigest).toBe(first);
    expect(said.join("")).not.toMatch(/moved in the registry|unknown/);
  });

  it("the tag re-pushed by hand with other content: refresh names both digests", async () => {
    moved = pushAsTag(nodes.images.v2);
    expect(moved).not.toBe(first);
    const before = channels();
    const [read, looseRead] = await Promise.all([
      provider.read(`x/${SERVICE}-pinned`, pinned),
      provider.read(`x/${SERVICE}-loose`, loose),
    ]);
    // The registry was asked in refresh's one command on the node (its snapshot inspection).
    expect(channels() - before).toBe(1);
    // Pinned: no drift of the spec, the registry's new digest recorded, a line says so.
    expect(read.props?.image).toBe(TAG);
    expect(read.props?.pinnedImage).toBe(`${TAG}@${first}`);
    expect(read.props?.registryDigest).toBe(moved);
    expect((await provider.diff("x", read.props ?? {}, pinned)).changes).toBe(false);
    // Not pinned: the tag at the digest that runs (podman's image digest), so the next preview
    // is an update.
    const runs = podman(
      "container",
      "inspect",
      "--format",
      "{{.ImageDigest}}",
      `${SERVICE}-loose`,
    ).stdout.trim();
    expect(runs).toBe(loose.imageDigest);
    expect(looseRead.props?.image).toBe(`${TAG}@${runs}`);
    expect(looseRead.props?.registryDigest).toBe(moved);
    const text = said.join("");
    expect(text).toContain(
      `pulumi-mcp: ${SERVICE}-pinned: the tag ${TAG} moved in the registry: it runs ${first}, the registry now holds ${moved} under the tag; pinDigest: it keeps running the pinned digest`,
    );
    expect(text).toContain(
      `pulumi-mcp: ${SERVICE}-loose: the tag ${TAG} moved in the registry: it runs ${runs}, the registry now holds ${moved} under the tag; the next up pulls the tag and recreates it`,
    );
    pinned = read.props ?? {};
    loose = looseRead.props ?? {};
  });

  it("the pinned workload still runs the old digest, also after a podman restart", async () => {
    const before = imageIdOf(`${SERVICE}-pinned`);
    const restart = podman("restart", "--time", "1", `${SERVICE}-pinned`);
    expect(restart.exitCode, restart.stderr).toBe(0);
    expect(imageIdOf(`${SERVICE}-pinned`)).toBe(before);
    expect(await served("pinned")).toBe("v1.0.0");
  });

  it("a recreate of the pinned one for another field runs the pinned digest, not the moved tag", async () => {
    const news = inputs("pinned", TAG, { pinDigest: true, env: { MARK: "recreated" } });
    const diff = await provider.diff("x", pinned, (await provider.check({}, news)).inputs as Bag);
    expect(diff.changes).toBe(true);
    pinned = await update("x", pinned, news);
    expect(pinned.pinnedImage).toBe(`${TAG}@${first}`);
    expect(await served("pinned")).toBe("v1.0.0");
    const env = podman("container", "inspect", "--format", "{{.Config.Env}}", `${SERVICE}-pinned`);
    expect(env.stdout).toContain("MARK=recreated");
  });

  it("up of the unpinned one pulls the tag's new content; then no drift", async () => {
    const news = (await provider.check({}, inputs("loose", TAG))).inputs as Bag;
    const diff = await provider.diff("x", loose, news);
    expect(diff.changes).toBe(true);
    expect(said.join("")).toContain(`${SERVICE}-loose: the tag ${TAG} moved in the registry`);
    loose = await update("x", loose, inputs("loose", TAG));
    expect(await served("loose")).toBe("v2.0.0");
    const read = await provider.read(`x/${SERVICE}-loose`, loose);
    expect(read.props?.image).toBe(TAG);
    expect(read.props?.registryDigest).toBe(moved);
    expect((await provider.diff("x", read.props ?? {}, news)).changes).toBe(false);
  });

  it("pinDigest turned off: recreated from the tag (its new content)", async () => {
    pinned = await update("x", pinned, inputs("pinned", TAG, { env: { MARK: "recreated" } }));
    expect(pinned.pinnedImage).toBeUndefined();
    expect(await served("pinned")).toBe("v2.0.0");
  });
});

describe("pinDigest against the registry that wants a login", { timeout: 120_000 }, () => {
  const registry = loadPrivateRegistry();
  // A login of this test's own, so that revoking it touches no other test.
  const USER = `wt17a-pin-${process.pid}`;
  const PASSWORD = `pw-${process.pid}-${Date.now().toString(36)}`;
  const withLogin = (): Bag => {
    const node = sshNodeInputs(nodes);
    return {
      ...inputs("auth", registry.images.v1, { pinDigest: true }),
      credentials: {
        ...node.credentials,
        registries: [{ server: registry.server, username: USER, password: PASSWORD }],
      },
    };
  };

  beforeAll(async () => {
    setRegistryLogin(registry, USER, PASSWORD);
    await registryAnswers(registry, USER, PASSWORD);
  });
  afterAll(() => {
    removeRegistryLogin(registry, USER);
    rmSync(`${homedir()}/${authFileInHome(registry.server, USER)}`, { force: true });
  });

  it("resolves the tag with the node's login; a revoked login at refresh is unknown, said, and fails nothing", async () => {
    const { outs } = await create(withLogin());
    const digest = String(outs.pinnedImage).slice(registry.images.v1.length + 1);
    expect(outs.pinnedImage).toBe(`${registry.images.v1}@${digest}`);
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(outs.registryDigest).toBe(digest);
    expect(await served("auth")).toBe("v1.0.0");
    removeRegistryLogin(registry, USER);
    await registryAnswers(registry, USER, PASSWORD, false);
    const read = await provider.read(`x/${SERVICE}-auth`, outs);
    expect(read.props?.registryDigest).toBe("unknown");
    expect(read.props?.image).toBe(registry.images.v1);
    expect((await provider.diff("x", read.props ?? {}, outs)).changes).toBe(false);
    const text = said.join("");
    // The registry's refusal (the login this run made is still cached) or the refused new login.
    expect(text).toContain(
      `${SERVICE}-auth: whether the tag ${registry.images.v1} moved in the registry is unknown (not counted as drift): `,
    );
    expect(text).toMatch(
      /not counted as drift\): .*(unauthorized|authentication required|logging in to registry)/i,
    );
    expect(text).not.toContain(PASSWORD);
  });
});

describe("pinDigest of a unikernel VM", { timeout: 300_000 }, () => {
  const uni = JSON.parse(readFileSync(`${nodes.stateDir}/unikernel.json`, "utf8")) as {
    images: { v1: string; v2: string };
    accel: "kvm" | "tcg";
  };
  const UREPO = `${nodes.registry}/wt17a-pin/uni-${process.pid}-${Date.now().toString(36)}`;
  const UTAG = `${UREPO}:v1`;
  const PORT = 18866;
  let state: Bag = {};

  function pushUni(source: string): string {
    expect(podman("tag", source, UTAG).exitCode).toBe(0);
    const file = `/tmp/wt17a-pin-uni-${process.pid}.digest`;
    const pushed = podman("push", "--quiet", "--digestfile", file, UTAG);
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    return readFileSync(file, "utf8").trim();
  }

  beforeAll(() => {
    for (const image of [uni.images.v1, uni.images.v2])
      expect(podman("pull", "--quiet", image).exitCode).toBe(0);
  });
  afterAll(async () => {
    if (state.node) await provider.delete(`x/${SERVICE}-vm`, state);
    podman("rmi", "--force", UTAG);
  });

  it("boots the ELF of the pinned digest; the tag moved later is a refresh line, not a change", async () => {
    const first = pushUni(uni.images.v1);
    ({ outs: state } = await create({
      ...sshNodeInputs(nodes),
      service: SERVICE,
      name: "vm",
      runtime: "unikernel",
      accel: uni.accel,
      image: UTAG,
      pinDigest: true,
      ports: [`127.0.0.1:${PORT}:8080`],
      stopTimeout: 2,
      minUptime: 0,
      startTimeout: 120,
    }));
    expect(state.pinnedImage).toBe(`${UTAG}@${first}`);
    expect(state.registryDigest).toBe(first);
    expect((await httpGet(`http://127.0.0.1:${PORT}/version`, 30_000)).trim()).toBe("v1.0.0");
    const moved = pushUni(uni.images.v2);
    const read = await provider.read(`x/${SERVICE}-vm`, state);
    expect(read.props).toMatchObject({
      image: UTAG,
      pinnedImage: `${UTAG}@${first}`,
      registryDigest: moved,
    });
    expect(said.join("")).toContain(
      `${SERVICE}-vm: the tag ${UTAG} moved in the registry: it runs ${first}, the registry now holds ${moved} under the tag; pinDigest: it keeps running the pinned digest`,
    );
    expect((await provider.diff("x", read.props ?? {}, state)).changes).toBe(false);
    state = read.props ?? state;
  });
});
