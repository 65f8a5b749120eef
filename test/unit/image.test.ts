import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { csvField, podmanBuild, podmanPush, skopeoInspect } from "../../provider/commands/image";
import imageProvider from "../../provider/resources/image-provider";
import { checkImage } from "../../provider/spec/image";

const provider = imageProvider as Required<pulumi.dynamic.ResourceProvider>;
const base = {
  node: { host: "localhost", local: true },
  context: "app",
  repo: "reg.example:5000/team/app",
  version: "v1",
};
const reasons = (input: unknown): string[] => {
  const outcome = checkImage(input);
  return outcome.ok ? [] : outcome.failures.map((f) => f.reason);
};

describe("checkImage names the field and the value", () => {
  it("accepts a local build and fills defaults, build args sorted", () => {
    const outcome = checkImage({ ...base, buildArgs: { B: "2", A: "1" } });
    expect(outcome.ok && outcome.spec).toMatchObject({
      overwrite: false,
      buildArgs: { A: "1", B: "2" },
    });
    expect(outcome.ok && Object.keys(outcome.spec.buildArgs)).toEqual(["A", "B"]);
  });

  it.each([
    [
      { repo: "reg.example:5000/app:v1" },
      'repo = "reg.example:5000/app:v1": must not hold a tag or digest',
    ],
    [{ repo: "team/app" }, 'repo = "team/app": must name its registry'],
    [{ repo: "reg.example/Bad" }, 'repo = "reg.example/Bad": is not a repository'],
    [{ version: "latest" }, 'version = "latest"'],
    [{ version: "v 1" }, 'version = "v 1": must be an image tag'],
    [{ buildArgs: { "bad-name": "x" } }, 'buildArgs = "bad-name": must be a build argument name'],
    [
      { dockerfile: "../Containerfile" },
      'dockerfile = "../Containerfile": must lie inside the context',
    ],
  ])("refuses %j", (change, reason) => {
    expect(reasons({ ...base, ...change }).join("; ")).toContain(reason);
  });
});

describe("image commands", () => {
  it("podman build labels the context hash, tags and ends options before the context", () => {
    expect(
      podmanBuild({
        name: "r:5000/a:v1",
        dir: "/ctx",
        dockerfile: "/ctx/Containerfile",
        contextHash: "sha256:abc",
        buildArgs: { A: "1" },
      }),
    ).toEqual([
      "podman",
      "build",
      "--file",
      "/ctx/Containerfile",
      "--quiet",
      "--label",
      "io.pulumi-mcp.context-hash=sha256:abc",
      "--tag",
      "r:5000/a:v1",
      "--build-arg",
      "A=1",
      "--",
      "/ctx",
    ]);
  });

  it("--file is one CSV field whatever the path holds (podman reads a string slice)", () => {
    expect(csvField("/ctx/Containerfile")).toBe("/ctx/Containerfile");
    expect(csvField(`/ctx/it's the "one", really`)).toBe(`"/ctx/it's the ""one"", really"`);
    expect(csvField("/ctx/new\nline")).toBe('"/ctx/new\nline"');
  });

  it("push and inspect pass TLS only when asked and the auth file where given", () => {
    expect(podmanPush("r:5000/a:v1", {}).slice(-2)).toEqual(["--", "r:5000/a:v1"]);
    expect(podmanPush("r:5000/a:v1", { tlsVerify: false, authFile: "/h/auth.json" })).toContain(
      "--tls-verify=false",
    );
    const inspect = skopeoInspect("r:5000/a:v1", { authFile: "/h/auth.json" });
    expect(inspect.slice(4)).toEqual([
      "inspect",
      "--no-tags",
      "--authfile",
      "/h/auth.json",
      "docker://r:5000/a:v1",
    ]);
    expect(inspect.join(" ")).not.toContain("tls-verify");
  });
});

describe("Image diff: pure, no connection", () => {
  const state = {
    ...base,
    buildArgs: {},
    overwrite: false,
    contextHash: `sha256:${"a".repeat(64)}`,
  };
  it("no change", async () => {
    expect((await provider.diff("id", state, { ...state })).changes).toBe(false);
  });
  it("a context change is an update; repo or version a replace that creates first", async () => {
    const update = await provider.diff("id", state, {
      ...state,
      contextHash: `sha256:${"b".repeat(64)}`,
    });
    expect(update).toMatchObject({ changes: true, replaces: [] });
    const replace = await provider.diff("id", state, { ...state, version: "v2" });
    expect(replace).toMatchObject({
      changes: true,
      replaces: ["version"],
      deleteBeforeReplace: false,
    });
  });
  it("delete never touches anything", async () => {
    await expect(provider.delete("id", state)).resolves.toBeUndefined();
  });
});
