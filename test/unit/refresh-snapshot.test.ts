import { describe, expect, it } from "vitest";
import { withNodeLock } from "../../provider/runtime/node-lock";
import { inspectFromSnapshot } from "../../provider/runtime/refresh-snapshot";
import type { HeldCommand } from "../../provider/transport";
import { FakeTransport, ok, uniqueLabel } from "./fakes/fake-transport";

const inspected = (...names: string[]) =>
  JSON.stringify(
    names.map((Name) => ({
      Name,
      State: { Status: "running", Running: true },
      Config: { Image: `registry.example/${Name}:v1` },
    })),
  );

/** A node running a00…a19 (labelled ours) and `hand` (made by hand, no label). */
function node(): FakeTransport {
  const ours = Array.from({ length: 20 }, (_, i) => `a${String(i).padStart(2, "0")}`);
  const transport = new FakeTransport(uniqueLabel(), (argv) => {
    const line = argv.join(" ");
    if (line.includes("podman ps --all --quiet")) return ok(inspected(...ours));
    if (line.includes("inspect -- hand")) return ok(inspected("hand"));
    return { exitCode: 125, stdout: "[]", stderr: "Error: no such container" };
  });
  transport.hold = async (): Promise<HeldCommand> => ({ release: async () => undefined });
  return transport;
}

describe("a refresh's reads on one node share one inspection of every managed container", () => {
  it("20 reads, one command; a name it lacks is inspected on its own", async () => {
    const transport = node();
    const names = Array.from({ length: 20 }, (_, i) => `a${String(i).padStart(2, "0")}`);
    const found = await Promise.all(names.map((n) => inspectFromSnapshot(transport, n)));
    expect(found.map((w) => w?.name)).toEqual(names);
    expect(transport.commands).toHaveLength(1);
    expect((await inspectFromSnapshot(transport, "hand"))?.name).toBe("hand");
    expect(await inspectFromSnapshot(transport, "gone")).toBeUndefined();
    expect(transport.commands).toHaveLength(3);
  });

  it("a second read of the same name looks again (a later look, not the same refresh)", async () => {
    const transport = node();
    await inspectFromSnapshot(transport, "a00");
    await inspectFromSnapshot(transport, "a01");
    await inspectFromSnapshot(transport, "a00");
    expect(transport.commands.filter((c) => c.includes("podman ps"))).toHaveLength(2);
  });

  it("a change under the node lock drops the snapshot: the next read looks again", async () => {
    const transport = node();
    await inspectFromSnapshot(transport, "a00");
    await withNodeLock(transport, 1000, async () => undefined);
    await inspectFromSnapshot(transport, "a01");
    expect(transport.commands.filter((c) => c.includes("podman ps"))).toHaveLength(2);
  });
});
