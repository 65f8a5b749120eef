import { describe, expect, it } from "vitest";
import { formatPortSpec, parsePortSpec, portsCollide } from "../../provider/spec/port-spec";
import { formatVolumeSpec, parseVolumeSpec } from "../../provider/spec/volume-spec";

function port(spec: string) {
  const parsed = parsePortSpec(spec);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

describe("port specs", () => {
  it.each([
    ["8080:80", "127.0.0.1:8080:80/tcp"],
    ["127.0.0.1:8443:8443", "127.0.0.1:8443:8443/tcp"],
    ["0.0.0.0:53:53/udp", "0.0.0.0:53:53/udp"],
    ["[::1]:8080:80/tcp", "[::1]:8080:80/tcp"],
  ])("%s normalises to %s", (spec, normal) => {
    expect(formatPortSpec(port(spec))).toBe(normal);
  });

  it.each([
    ["80", "host port is required"],
    ["0:80", "outside 1-65535"],
    ["70000:80", "outside 1-65535"],
    ["8080:80/sctp", "is not"],
    ["999.1.1.1:80:80", "invalid address"],
    ["8080:80;touch /tmp/x", "is not"],
  ])("refuses %j", (spec, reason) => {
    expect(parsePortSpec(spec)).toContain(reason);
  });

  it("knows which host ports collide", () => {
    expect(portsCollide(port("8080:80"), port("127.0.0.1:8080:81"))).toBe(true);
    expect(portsCollide(port("0.0.0.0:8080:80"), port("127.0.0.2:8080:80"))).toBe(true);
    expect(portsCollide(port("127.0.0.1:8080:80"), port("127.0.0.2:8080:80"))).toBe(false);
    expect(portsCollide(port("8080:80/udp"), port("8080:80/tcp"))).toBe(false);
  });
});

describe("volume specs", () => {
  it.each([
    ["/srv/mcq:/srv/mcq", "/srv/mcq:/srv/mcq"],
    ["/srv/mcq/:/data:rw", "/srv/mcq:/data"],
    ["/srv/a:/data:z,ro", "/srv/a:/data:ro,z"],
  ])("%s normalises to %s", (spec, normal) => {
    const parsed = parseVolumeSpec(spec);
    if (typeof parsed === "string") throw new Error(parsed);
    expect(formatVolumeSpec(parsed)).toBe(normal);
  });

  it.each([
    ["data:/data", "not an absolute path"],
    ["/srv:data", "not an absolute path"],
    ["/srv/../etc:/data", '".."'],
    ["/srv:/data:exec", "unknown option"],
    ["/srv:/data:ro,rw", "both ro and rw"],
    ["/srv", "is not /host/path"],
    ["/srv/a b:/data", "white space"],
  ])("refuses %j", (spec, reason) => {
    expect(parseVolumeSpec(spec)).toContain(reason);
  });
});
