import { describe, expect, it } from "vitest";
import {
  extractVersion,
  parseImageRef,
  runningReference,
  unpinnedReason,
} from "../../provider/spec/image-ref";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("extractVersion (MCP's ExtractVersion, plus digests)", () => {
  it.each([
    ["registry:5000/img:v1", "v1"],
    ["registry:5000/img", ""],
    ["mcr.example.net:8443/mcq:v0.4.0", "v0.4.0"],
    ["img:v1", "v1"],
    ["img", ""],
    ["localhost:5000/a/b/c:1.2.3-rc1", "1.2.3-rc1"],
    [`img@${DIGEST}`, DIGEST],
    [`img:v2@${DIGEST}`, "v2"],
    ["not a reference", ""],
  ])("%s → %s", (reference, version) => {
    expect(extractVersion(reference)).toBe(version);
  });
});

describe("parseImageRef", () => {
  it("splits registry, repository, tag and digest", () => {
    expect(parseImageRef(`127.0.0.1:5055/mcp-test/web:v1.0.0@${DIGEST}`)).toEqual({
      registry: "127.0.0.1:5055",
      repository: "mcp-test/web",
      tag: "v1.0.0",
      digest: DIGEST,
    });
  });

  it("never takes a registry port for a tag", () => {
    expect(parseImageRef("registry:5000/img")).toEqual({
      registry: "registry:5000",
      repository: "img",
      tag: undefined,
      digest: undefined,
    });
  });

  it.each([
    ["", "is empty"],
    ["Upper/Case:v1", "repository path"],
    ["img:v1;rm -rf /", "malformed"],
    ["img@sha256:short", "malformed digest"],
    ["reg:5000/../img:v1", "repository path component"],
    [" img:v1", "white space"],
    ["img:$(touch /tmp/x)", "malformed"],
    ["img:v1$(id)", "malformed tag"],
  ])("refuses %j", (reference, reason) => {
    const parsed = parseImageRef(reference);
    expect(typeof parsed).toBe("string");
    expect(parsed).toContain(reason);
  });
});

describe("unpinnedReason", () => {
  const parse = (reference: string) => {
    const parsed = parseImageRef(reference);
    if (typeof parsed === "string") throw new Error(parsed);
    return parsed;
  };
  it("wants a tag that is not latest, or a digest", () => {
    expect(unpinnedReason(parse("img"))).toContain("no tag");
    expect(unpinnedReason(parse("img:latest"))).toContain(":latest");
    expect(unpinnedReason(parse("img:v1"))).toBeUndefined();
    expect(unpinnedReason(parse(`img@${DIGEST}`))).toBeUndefined();
    expect(unpinnedReason(parse(`img:latest@${DIGEST}`))).toBeUndefined();
  });
});

describe("runningReference: podman records repo:tag@digest as repo@digest", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  it("keeps the asked-for reference when repository and digest agree", () => {
    expect(runningReference(`r:5000/app@${digest}`, `r:5000/app:v1@${digest}`)).toBe(
      `r:5000/app:v1@${digest}`,
    );
    expect(
      extractVersion(runningReference(`r:5000/app@${digest}`, `r:5000/app:v1@${digest}`)),
    ).toBe("v1");
  });
  it("reports what runs when it differs or nothing was asked", () => {
    const other = `sha256:${"b".repeat(64)}`;
    expect(runningReference(`r:5000/app@${other}`, `r:5000/app:v1@${digest}`)).toBe(
      `r:5000/app@${other}`,
    );
    expect(runningReference(`r:5000/other@${digest}`, `r:5000/app:v1@${digest}`)).toBe(
      `r:5000/other@${digest}`,
    );
    expect(runningReference("r:5000/app:v2", "r:5000/app:v1")).toBe("r:5000/app:v2");
    expect(runningReference("r:5000/app:v2", undefined)).toBe("r:5000/app:v2");
  });
});
