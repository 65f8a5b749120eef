// pinDigest and the registry check at refresh: the pure parts (spec, diff, the node's answers,
// podman's inspection of a pinned container). Over real SSH, podman and registry: test/integration/pin-digest.test.ts.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LABELS, podmanRunArgv } from "../../provider/commands/podman";
import {
  parseRegistryDigests,
  registryDigests,
  snapshotWithTags,
  TAGS_MARK,
} from "../../provider/commands/registry-digest";
import { AUTH_DIR_IN_HOME } from "../../provider/commands/registry-login";
import { diffComponent, planChange } from "../../provider/diff/component-diff";
import { specHash } from "../../provider/diff/spec-hash";
import { describeTagDrift, driftInState, keepPin, tagDrift } from "../../provider/diff/tag-drift";
import { observedSpec } from "../../provider/runtime/observed-spec";
import { mapPodmanInspect } from "../../provider/runtime/podman-inspect";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { runningReference } from "../../provider/spec/image-ref";
import { liveWorkload } from "./fakes/fake-runtime";
import { validInputs } from "./fixtures";

const IMAGE = "reg.example.net:5000/mcq:v1";
const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const L = `sha256:${"1".repeat(64)}`;

function spec(overrides: Record<string, unknown> = {}): ComponentSpec {
  const outcome = checkComponent(validInputs({ image: IMAGE, ...overrides }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

describe("pinDigest in the spec and the diff", () => {
  it("false and absent are one spec; a non-boolean is refused naming the field", () => {
    expect("pinDigest" in spec({ pinDigest: false })).toBe(false);
    expect(spec({ pinDigest: true }).pinDigest).toBe(true);
    const bad = checkComponent(validInputs({ pinDigest: "yes" }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.failures[0]?.reason).toMatch(/^pinDigest = "yes": /);
  });

  it("turning it on or off is an update in place (recreated), never a replace", () => {
    for (const [from, to] of [
      [{}, { pinDigest: true }],
      [{ pinDigest: true }, {}],
    ] as const) {
      const diff = diffComponent(spec(from), spec(to));
      expect(diff).toMatchObject({ changes: true, replaces: [], changed: ["pinDigest"] });
      expect(planChange(diff)).toBe("recreate");
    }
  });

  it("the spec hash of a spec without it is what it was before the field existed", () => {
    expect(specHash(spec({ pinDigest: false }))).toBe(specHash(spec()));
    expect(specHash(spec({ pinDigest: true }))).not.toBe(specHash(spec()));
  });

  it("podman runs the pinned reference and labels its digest; the image label is the tag as given", () => {
    const argv = podmanRunArgv(
      { ...spec({ pinDigest: true }), pinnedImage: `${IMAGE}@${A}`, cmd: ["serve"] },
      { specHash: "h" },
    );
    expect(argv.slice(-3)).toEqual(["--", `${IMAGE}@${A}`, "serve"]);
    expect(argv).toContain(`${LABELS.pinnedDigest}=${A}`);
    expect(argv).toContain(`${LABELS.image}=${IMAGE}`);
    const unpinned = podmanRunArgv(spec(), { specHash: "h" });
    expect(unpinned.join(" ")).not.toContain(LABELS.pinnedDigest);
    expect(unpinned.at(-1)).toBe(IMAGE);
  });

  it("a recreate of the same image keeps the pin; a new image, or pinDigest turned on now, resolves again", () => {
    const pinned = `${IMAGE}@${A}`;
    const on = spec({ pinDigest: true });
    expect(keepPin(on, on, pinned).pinnedImage).toBe(pinned);
    expect(keepPin(spec(), on, pinned).pinnedImage).toBeUndefined();
    const v2 = spec({ pinDigest: true, image: "reg.example.net:5000/mcq:v2" });
    expect(keepPin(on, v2, pinned).pinnedImage).toBeUndefined();
    expect(keepPin(on, on, undefined).pinnedImage).toBeUndefined();
    expect(keepPin(on, on, `reg.example.net:5000/other:v1@${A}`).pinnedImage).toBeUndefined();
  });
});

describe("podman's inspection of a pinned container", () => {
  const inspect = (labels: Record<string, string>, image: string) => ({
    Name: "mcq-api",
    ImageDigest: A,
    Config: {
      Image: image,
      Labels: labels,
      CreateCommand: ["podman", "run", "--", `${IMAGE}@${A}`, "serve"],
    },
    State: { Status: "running", Running: true },
  });

  it("podman records repo@digest: with our pinned label it is the tag as given, pinned to that digest", () => {
    const live = mapPodmanInspect(
      inspect({ [LABELS.image]: IMAGE, [LABELS.pinnedDigest]: A }, `reg.example.net:5000/mcq@${A}`),
    );
    expect(live.image).toBe(IMAGE);
    expect(live.pinnedImage).toBe(`${IMAGE}@${A}`);
    expect(live.version).toBe("v1");
    expect(live.cmd).toEqual(["serve"]);
  });

  it("another digest than the pinned one is shown as it runs (drift), with no pinned image", () => {
    expect(runningReference(`reg.example.net:5000/mcq@${B}`, IMAGE, A)).toBe(
      `reg.example.net:5000/mcq@${B}`,
    );
    const live = mapPodmanInspect(
      inspect({ [LABELS.image]: IMAGE, [LABELS.pinnedDigest]: A }, `reg.example.net:5000/mcq@${B}`),
    );
    expect(live.image).toBe(`reg.example.net:5000/mcq@${B}`);
    expect(live.pinnedImage).toBeUndefined();
  });
});

describe("the registry's answers from the node", () => {
  it("asks every tag in one command, each with its login's auth file, the password nowhere", () => {
    const argv = registryDigests([
      { reference: IMAGE, imageId: "abc", authFile: "/root/.pulumi-mcp/registry-auth/x.json" },
      { reference: "reg.example.net:5000/web:v2" },
    ]);
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv.slice(4)).toEqual([
      "/root/.pulumi-mcp/registry-auth/x.json",
      IMAGE,
      "abc",
      "",
      "reg.example.net:5000/web:v2",
      "",
    ]);
  });

  it("a refresh's one command: every managed container inspected, then each distinct tag asked with the auth file a deploy left", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wt17a-snap-"));
    const home = path.join(dir, "home");
    mkdirSync(path.join(home, AUTH_DIR_IN_HOME), { recursive: true });
    const auth = path.join(home, AUTH_DIR_IN_HOME, "reg.example.net_5000-abc.json");
    writeFileSync(auth, "{}");
    const stub = (name: string, text: string) =>
      writeFileSync(path.join(dir, name), `#!/bin/sh\n${text}\n`, { mode: 0o755 });
    stub(
      "podman",
      [
        'case "$1 $2" in',
        '  "ps --all") case "$*" in *--quiet*) echo id1; echo id2;; *) printf "%s\\n" "' +
          IMAGE +
          '|img1" "' +
          IMAGE +
          '|img1" "reg.example.net:5000/mcq@' +
          A +
          '|img2";; esac;;',
        '  "container inspect") echo "[{\\"Name\\":\\"mcq-api\\"}]";;',
        `  "image inspect") echo '["reg.example.net:5000/mcq@${A}"]';;`,
        "esac",
      ].join("\n"),
    );
    stub("skopeo", `echo "$*" >>"${dir}/skopeo.log"; echo ${B}`);
    const argv = snapshotWithTags();
    const result = spawnSync(argv[0] as string, argv.slice(1), {
      encoding: "utf8",
      env: { PATH: `${dir}:/usr/bin:/bin`, HOME: home },
    });
    const skopeoLog = readFileSync(path.join(dir, "skopeo.log"), "utf8");
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(0);
    const [inspected, tags] = result.stdout.split(`\n${TAGS_MARK}\n`);
    expect(inspected).toBe('[{"Name":"mcq-api"}]');
    // One tag (the digest reference has nothing to ask), asked once, with the auth file.
    expect(parseRegistryDigests(tags ?? "")).toEqual([
      {
        reference: IMAGE,
        imageId: "img1",
        digest: B,
        repoDigests: [`reg.example.net:5000/mcq@${A}`],
      },
    ]);
    expect(skopeoLog.trim().split("\n")).toEqual([
      `inspect --no-tags --format {{.Digest}} --authfile ${auth} docker://${IMAGE}`,
    ]);
  });

  it("parses digests, errors and RepoDigests per query, in order", () => {
    const answers = parseRegistryDigests(
      [
        `digest 1 ${A}`,
        `repodigests 1 ["reg.example.net:5000/mcq@${A}"]`,
        "error 2 pinging container registry reg: connection refused",
        "repodigests 2 ",
        "digest 3 not-a-digest",
      ].join("\n"),
      3,
    );
    expect(answers[0]).toEqual({ digest: A, repoDigests: [`reg.example.net:5000/mcq@${A}`] });
    expect(answers[1]?.unknown).toBe("pinging container registry reg: connection refused");
    expect(answers[1]?.repoDigests).toBeUndefined();
    expect(answers[2]?.unknown).toMatch(/skopeo printed no sha256 digest/);
  });

  it("a node without skopeo answers unknown for every tag, saying how to install it", () => {
    const answers = parseRegistryDigests(`noskopeo\nrepodigests 1 ["x@${A}"]`, 2);
    for (const answer of answers) expect(answer.unknown).toMatch(/skopeo is not installed/);
  });
});

describe("refresh's verdict on a tag", () => {
  const live = (extra: Record<string, unknown> = {}) => ({
    ...liveWorkload("mcq-api", IMAGE),
    ...extra,
  });

  it("the registry's digest among the image's RepoDigests: no drift (a locally built image's own digest differs)", () => {
    const answer = { digest: A, repoDigests: [`reg.example.net:5000/mcq@${A}`] };
    expect(tagDrift(live({ imageDigest: L }), answer)).toBeUndefined();
    // One manifest digest is one content, whichever repository podman lists it under.
    expect(
      tagDrift(live({ imageDigest: L }), { digest: A, repoDigests: [`other/repo@${A}`] }),
    ).toBeUndefined();
    expect(tagDrift(live({ imageDigest: A }), { digest: A })).toBeUndefined();
  });

  it("moved: names what runs (its digest in that repository) and what the registry holds", () => {
    const answer = { digest: B, repoDigests: [`reg.example.net:5000/mcq@${A}`] };
    const drift = tagDrift(live({ imageDigest: A }), answer);
    expect(drift).toEqual({ runs: A, registry: B, pinned: false });
    if (drift) {
      expect(describeTagDrift(IMAGE, drift)).toBe(
        `the tag ${IMAGE} moved in the registry: it runs ${A}, the registry now holds ${B} under the tag; the next up pulls the tag and recreates it`,
      );
    }
    // Refresh records it as the tag at the digest that runs: the next preview is an update.
    const observed = observedSpec(spec(), live({ imageDigest: A }), A, drift);
    expect(observed.image).toBe(`${IMAGE}@${A}`);
  });

  it("pinned: judged by the pinned digest; it is no drift of the spec (it keeps running it)", () => {
    const pinned = live({ pinnedImage: `${IMAGE}@${A}`, imageDigest: L });
    expect(tagDrift(pinned, { digest: A })).toBeUndefined();
    const drift = tagDrift(pinned, { digest: B });
    expect(drift).toEqual({ runs: A, registry: B, pinned: true });
    expect(observedSpec(spec({ pinDigest: true }), pinned, L, drift).image).toBe(IMAGE);
  });

  it("an unknown answer is no drift", () => {
    expect(tagDrift(live(), { unknown: "registry down" })).toBeUndefined();
    expect(tagDrift(live(), undefined)).toBeUndefined();
  });

  it("preview finds it again in state alone (no network call)", () => {
    expect(driftInState({ image: `${IMAGE}@${A}`, registryDigest: B }, IMAGE)).toEqual({
      runs: A,
      registry: B,
      pinned: false,
    });
    expect(
      driftInState({ image: IMAGE, pinnedImage: `${IMAGE}@${A}`, registryDigest: B }, IMAGE),
    ).toEqual({
      runs: A,
      registry: B,
      pinned: true,
    });
    expect(
      driftInState({ image: IMAGE, pinnedImage: `${IMAGE}@${A}`, registryDigest: A }, IMAGE),
    ).toBeUndefined();
    expect(driftInState({ image: IMAGE, registryDigest: "unknown" }, IMAGE)).toBeUndefined();
    expect(driftInState({ image: `${IMAGE}@${A}`, registryDigest: A }, IMAGE)).toBeUndefined();
  });
});
