import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { podmanPull } from "../../provider/commands/podman";
import {
  AUTH_FILE_OF_REF,
  authFileInHome,
  podmanLogin,
} from "../../provider/commands/registry-login";
import { diffComponent, planChange } from "../../provider/diff/component-diff";
import componentProvider from "../../provider/resources/component-provider";
import { splitNodeArgs } from "../../provider/resources/node-args";
import { ContainerRuntime } from "../../provider/runtime/container-runtime";
import { pullImage } from "../../provider/runtime/registry-pull";
import { checkComponent } from "../../provider/spec/check-component";
import { credentialFor, registryOf } from "../../provider/spec/image-ref";
import { checkService } from "../../provider/spec/service";
import { UNKNOWN } from "../../provider/spec/unknown";
import type { RunOptions } from "../../provider/transport";
import { FakeTransport, ok, uniqueLabel } from "./fakes/fake-transport";
import { validInputs, validServiceInputs } from "./fixtures";

const component = componentProvider as Required<pulumi.dynamic.ResourceProvider>;
const PASSWORD = "hunter2-registry-token";
const login = (extra: Record<string, unknown> = {}) => ({
  server: "mcr.example.net:8443",
  username: "deploy",
  password: PASSWORD,
  ...extra,
});
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material\n";
const withRegistries = (registries: unknown, overrides: Record<string, unknown> = {}) =>
  validInputs({ credentials: { privateKey: KEY, registries }, ...overrides });

function failures(input: Record<string, unknown>): string[] {
  const outcome = checkComponent(input);
  if (outcome.ok) throw new Error("expected check to fail");
  return outcome.failures.map((failure) => failure.reason);
}

describe("registry logins: commands", () => {
  it("the password is podman login's stdin, never an argument", () => {
    const { argv, stdin } = podmanLogin("mcr.example.net:8443", "deploy", PASSWORD);
    expect(stdin).toBe(PASSWORD);
    expect(argv.join(" ")).not.toContain(PASSWORD);
    expect(argv.join(" ")).toContain("--password-stdin");
    expect(argv.slice(-3)).toEqual([
      authFileInHome("mcr.example.net:8443", "deploy"),
      "mcr.example.net:8443",
      "deploy",
    ]);
  });

  it("one auth file per registry and username, under ~/.pulumi-mcp/registry-auth, a plain file name", () => {
    const a = authFileInHome("mcr.example.net:8443", "deploy");
    expect(a).toMatch(/^\.pulumi-mcp\/registry-auth\/mcr\.example\.net_8443-[0-9a-f]{12}\.json$/);
    expect(authFileInHome("mcr.example.net:8443", "other")).not.toBe(a);
    expect(authFileInHome("[::1]:5000", "x")).toMatch(
      /^\.pulumi-mcp\/registry-auth\/___1__5000-[0-9a-f]{12}\.json$/,
    );
  });

  it("the refresh snapshot's shell finds the auth file of a reference's registry as registryOf and authFileInHome name it", () => {
    const home = mkdtempSync(path.join(tmpdir(), "mcp-auth-"));
    /** What AUTH_FILE_OF_REF sets `auth` to for `ref` under `home`. */
    const authOf = (ref: string) =>
      spawnSync("sh", ["-c", `ref=$1\n${AUTH_FILE_OF_REF}\nprintf %s "$auth"`, "sh", ref], {
        encoding: "utf8",
        env: { PATH: "/usr/bin:/bin", HOME: home },
      }).stdout;
    const file = (server: string, user: string) => {
      const name = path.join(home, authFileInHome(server, user));
      mkdirSync(path.dirname(name), { recursive: true });
      writeFileSync(name, "{}");
      return name;
    };
    try {
      const refs = [
        "mcr.example.net:8443/mcq:v1",
        "localhost/mcq:v1",
        "localhost:5000/team/mcq:v1",
        "Registry/mcq:v1",
        "[::1]:5000/mcq:v1",
        "reg/mcq:v1",
        "mcq:v1",
        "library/nginx:1.25",
      ];
      expect(refs.map(authOf)).toEqual(refs.map(() => ""));
      const files = refs.map((ref) => file(registryOf(ref) ?? "", "deploy"));
      // Docker Hub's three share one file; every other reference finds its own.
      expect(refs.map(authOf)).toEqual(files);
      file("mcr.example.net:8443", "other");
      expect(authOf(refs[0] ?? "")).toBe("");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("podman pull takes the auth file when there is one", () => {
    expect(podmanPull("r:5/a:v1")).toEqual(["podman", "pull", "--quiet", "--", "r:5/a:v1"]);
    expect(podmanPull("r:5/a:v1", "/root/f.json")).toEqual([
      "podman",
      "pull",
      "--quiet",
      "--authfile",
      "/root/f.json",
      "--",
      "r:5/a:v1",
    ]);
  });
});

describe("registry logins: check", () => {
  it("NodeArgs.registries travel with the credentials (a secret), not the plain node", () => {
    const split = splitNodeArgs({ host: "h", privateKey: KEY, registries: [login()] });
    expect(split.target).toEqual({ host: "h" });
    expect(split.credentials).toEqual({ privateKey: KEY, registries: [login()] });
  });

  it("a valid login passes and stays in the spec's credentials", () => {
    const outcome = checkComponent(withRegistries([login()]));
    expect(outcome.ok && outcome.spec.credentials?.registries).toEqual([login()]);
  });

  it("a bad server is refused naming node.registries[i].server and showing it; a bad password never shown", () => {
    const reasons = failures(
      withRegistries([login({ server: "https://mcr.example.net" }), login({ password: "a\nb" })]),
    );
    expect(reasons.join("\n")).toContain('node.registries[0].server = "https://mcr.example.net"');
    expect(reasons.join("\n")).toContain("node.registries[1].password = [secret]");
    expect(reasons.join("\n")).not.toContain("a\nb");
  });

  it("an empty username or password is refused", () => {
    expect(failures(withRegistries([login({ username: "" })])).join()).toContain(
      "node.registries[0].username",
    );
    expect(failures(withRegistries([login({ password: "" })])).join()).toContain(
      "node.registries[0].password = [secret]",
    );
  });

  it("the same server twice is refused: one login per registry and node", () => {
    expect(failures(withRegistries([login(), login({ username: "other" })])).join()).toContain(
      'node.registries[1].server = "mcr.example.net:8443": this registry is listed twice',
    );
  });

  it("registries on a jump host are refused (it pulls nothing)", () => {
    const reasons = failures(
      validInputs({
        node: {
          host: "rift.example.net",
          hostKey: `SHA256:${"A".repeat(43)}`,
          proxyJump: { host: "jump.example.net", hostKey: `SHA256:${"B".repeat(43)}` },
        },
        credentials: { privateKey: KEY, proxyJump: { privateKey: KEY, registries: [login()] } },
      }),
    );
    expect(reasons.join()).toContain("node.proxyJump.registries: a jump host pulls no images");
  });

  it("a password not known yet (a preview) passes check and stays unknown", () => {
    const outcome = checkComponent(withRegistries([login({ password: UNKNOWN })]));
    expect(outcome.ok && outcome.spec.credentials?.registries?.[0]?.password).toBe(UNKNOWN);
    const whole = checkComponent(withRegistries(UNKNOWN));
    expect(whole.ok && whole.spec.credentials?.registries).toBe(UNKNOWN);
  });

  it("a Service checks its node's registries the same way", () => {
    const outcome = checkService(
      validServiceInputs({ credentials: { privateKey: KEY, registries: [login()] } }),
    );
    expect(outcome.ok && outcome.spec.credentials?.registries).toEqual([login()]);
  });
});

describe("registry logins: diff and revisions", () => {
  it("a rotated password is a state-only update whose revision is registries.<server>", async () => {
    const first = (await component.check({}, withRegistries([login()]))).inputs;
    expect(first.revisions).toMatchObject({ "registries.mcr.example.net:8443": 1 });
    const same = (await component.check(first, withRegistries([login()]))).inputs;
    expect(same.revisions).toEqual(first.revisions);
    const rotated = (await component.check(first, withRegistries([login({ password: "new" })])))
      .inputs;
    expect(rotated.revisions).toMatchObject({
      "credentials.privateKey": 1,
      "registries.mcr.example.net:8443": 2,
    });
    const before = checkComponent(first);
    const after = checkComponent(rotated);
    if (!before.ok || !after.ok) throw new Error("check failed");
    expect(planChange(diffComponent(before.spec, after.spec))).toBe("state-only");
  });
});

describe("registry logins: the pull", () => {
  const image = "mcr.example.net:8443/mcq:v0.4.0";

  it("the login for the image's registry, exactly as written there; Docker Hub is docker.io", () => {
    expect(credentialFor(image, [login()])).toEqual(login());
    expect(credentialFor("mcr.example.net/mcq:v1", [login()])).toBeUndefined();
    expect(credentialFor("library/nginx:1.27", [login({ server: "docker.io" })])?.server).toBe(
      "docker.io",
    );
    expect(credentialFor(image, undefined)).toBeUndefined();
  });

  it("logs in (password on stdin), then pulls with the auth file it printed", async () => {
    const stdins: RunOptions["stdin"][] = [];
    const node = new FakeTransport(uniqueLabel(), (argv, options) => {
      stdins.push(options?.stdin);
      return argv.join(" ").includes("--password-stdin")
        ? ok("/home/mcp/.pulumi-mcp/registry-auth/f.json\n")
        : ok();
    });
    await pullImage(node, image, [login()]);
    expect(node.commands).toHaveLength(2);
    expect(node.commands[0]).toContain("podman login");
    expect(node.commands[1]).toContain(
      `podman pull --quiet --authfile /home/mcp/.pulumi-mcp/registry-auth/f.json -- ${image} && `,
    );
    expect(stdins).toEqual([PASSWORD, undefined]);
    expect(node.commands.join("\n")).not.toContain(PASSWORD);
  });

  it("logs in once per node and login for many pulls; again after the password changes", async () => {
    const node = new FakeTransport(uniqueLabel(), (argv) =>
      argv.join(" ").includes("--password-stdin") ? ok("/f.json\n") : ok(),
    );
    const runtime = new ContainerRuntime(node);
    const spec = (password: string, tag: string) => {
      const outcome = checkComponent(
        withRegistries([login({ password })], { image: `mcr.example.net:8443/mcq:${tag}` }),
      );
      if (!outcome.ok) throw new Error("check failed");
      return outcome.spec;
    };
    await Promise.all([runtime.pull(spec("a", "v1")), runtime.pull(spec("a", "v2"))]);
    await runtime.pull(spec("a", "v1"));
    expect(node.commands.filter((c) => c.includes("podman login"))).toHaveLength(1);
    expect(node.commands.filter((c) => c.includes("podman pull"))).toHaveLength(2);
    await runtime.pull(spec("b", "v1"));
    expect(node.commands.filter((c) => c.includes("podman login"))).toHaveLength(2);
    expect(node.commands.filter((c) => c.includes("podman pull"))).toHaveLength(3);
  });

  it("a refused login fails naming the registry and user, and pulls nothing", async () => {
    const node = new FakeTransport(uniqueLabel(), () => ({
      exitCode: 125,
      stdout: "",
      stderr: 'Error: logging into "mcr.example.net:8443": invalid username/password',
    }));
    await expect(pullImage(node, image, [login()])).rejects.toThrow(
      /logging in to registry mcr\.example\.net:8443 as deploy failed \(exit 125\): .*invalid username\/password/,
    );
    expect(node.commands).toHaveLength(1);
  });

  it("without a login, a pull the registry refuses says which registry wants credentials", async () => {
    const node = new FakeTransport(uniqueLabel(), () => ({
      exitCode: 125,
      stdout: "",
      stderr: `Error: initializing source docker://${image}: reading manifest v0.4.0 in mcr.example.net:8443/mcq: authentication required`,
    }));
    await expect(pullImage(node, image, undefined)).rejects.toThrow(
      "registry mcr.example.net:8443 wants credentials: add it to the node's registries",
    );
    expect(node.commands).toHaveLength(1);
    expect(node.commands[0]).toContain(`podman pull --quiet -- ${image} && `);
  });
});
