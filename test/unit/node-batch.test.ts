import { describe, expect, it } from "vitest";
import { inspectBatched } from "../../provider/runtime/inspect-batch";
import { nodeBatcher } from "../../provider/runtime/node-batch";
import { removeBatched, stopBatched } from "../../provider/runtime/podman-batch";
import type { CommandResult } from "../../provider/transport";
import { FakeTransport, uniqueLabel as label, ok } from "./fakes/fake-transport";

const failed = (stderr: string, exitCode = 125): CommandResult => ({
  exitCode,
  stdout: "",
  stderr,
});

describe("nodeBatcher", () => {
  it("requests that arrive together share one flush, each name once; the result reaches all", async () => {
    const flushes: string[][] = [];
    const batch = nodeBatcher(async (_t, _scope, names) => {
      flushes.push(names);
      return names.length;
    });
    const node = new FakeTransport(label());
    const results = await Promise.all(["a", "b", "a", "c"].map((name) => batch(node, "", name)));
    expect(flushes).toEqual([["a", "b", "c"]]);
    expect(results).toEqual([3, 3, 3, 3]);
  });

  it("keeps nodes and scopes apart", async () => {
    const flushes: string[] = [];
    const batch = nodeBatcher(async (t, scope, names) => {
      flushes.push(`${t.label}|${scope}|${names.join(",")}`);
    });
    const one = new FakeTransport(label());
    const two = new FakeTransport(label());
    await Promise.all([batch(one, "1", "a"), batch(one, "2", "b"), batch(two, "1", "c")]);
    expect(flushes.sort()).toEqual(
      [`${one.label}|1|a`, `${one.label}|2|b`, `${two.label}|1|c`].sort(),
    );
  });

  it("a failed flush rejects every caller of the batch", async () => {
    const batch = nodeBatcher(async () => {
      throw new Error("node gone");
    });
    const node = new FakeTransport(label());
    const outcomes = await Promise.allSettled([batch(node, "", "a"), batch(node, "", "b")]);
    expect(outcomes.map((o) => o.status === "rejected" && String(o.reason))).toEqual([
      "Error: node gone",
      "Error: node gone",
    ]);
  });

  it("keeps taking names until the node's connection is up, then flushes once", async () => {
    const flushes: string[][] = [];
    const batch = nodeBatcher(async (_t, _scope, names) => {
      flushes.push(names);
    });
    const node = new FakeTransport(label(), () => ok(), false);
    const first = batch(node, "", "a");
    await new Promise((resolve) => setTimeout(resolve, 40)); // well past the batching window
    const second = batch(node, "", "b");
    node.connect();
    await Promise.all([first, second]);
    expect(flushes).toEqual([["a", "b"]]);
  });

  it("splits at 100 names a command", async () => {
    const sizes: number[] = [];
    const batch = nodeBatcher(async (_t, _scope, names) => {
      sizes.push(names.length);
    });
    const node = new FakeTransport(label());
    await Promise.all(Array.from({ length: 130 }, (_, i) => batch(node, "", `c${i}`)));
    expect(sizes).toEqual([100, 30]);
  });

  it("requests arriving while a flush runs wait for it and then go out together", async () => {
    const flushes: string[][] = [];
    let finishFirst: () => void = () => undefined;
    const batch = nodeBatcher(async (_t, _scope, names) => {
      flushes.push(names);
      if (flushes.length === 1) await new Promise<void>((done) => (finishFirst = done));
    });
    const node = new FakeTransport(label());
    const first = batch(node, "", "a");
    await new Promise((done) => setTimeout(done, 40)); // "a" went out and is still running
    const late = [batch(node, "", "b"), batch(node, "", "c")];
    await new Promise((done) => setTimeout(done, 40)); // well past the window
    const laterStill = batch(node, "", "d");
    expect(flushes).toEqual([["a"]]);
    finishFirst();
    await Promise.all([first, ...late, laterStill]);
    expect(flushes).toEqual([["a"], ["b", "c", "d"]]);
  });

  it("with concurrent: 2, a second batch goes out beside a running one; a third waits for either", async () => {
    const flushes: string[][] = [];
    const finish: (() => void)[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const batch = nodeBatcher(
      async (_t, _scope, names) => {
        flushes.push(names);
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise<void>((done) => finish.push(done));
        running -= 1;
      },
      { concurrent: 2 },
    );
    const node = new FakeTransport(label());
    const pause = () => new Promise((done) => setTimeout(done, 40)); // well past the window
    const all = [batch(node, "", "a")];
    await pause();
    all.push(batch(node, "", "b"));
    await pause();
    all.push(batch(node, "", "c"), batch(node, "", "d"));
    await pause();
    expect(flushes).toEqual([["a"], ["b"]]); // c and d wait for a slot, still collecting
    all.push(batch(node, "", "e"));
    finish[1]?.(); // "b" ends first: the waiting batch takes its slot
    await pause();
    expect(flushes).toEqual([["a"], ["b"], ["c", "d", "e"]]);
    finish[0]?.();
    finish[2]?.();
    await Promise.all(all);
    expect(mostAtOnce).toBe(2);
  });

  it("a request after a flush went out starts a new batch", async () => {
    const flushes: string[][] = [];
    const batch = nodeBatcher(async (_t, _scope, names) => {
      flushes.push(names);
    });
    const node = new FakeTransport(label());
    await batch(node, "", "a");
    await batch(node, "", "b");
    expect(flushes).toEqual([["a"], ["b"]]);
  });
});

describe("inspectBatched", () => {
  /** podman inspect over the names: those in `present` are found, the rest missing. */
  const podmanWith = (present: string[]) => (argv: readonly string[]) => {
    const names = argv.slice(argv.indexOf("--") + 1);
    const found = names.filter((name) => present.includes(name));
    const missing = names.filter((name) => !present.includes(name));
    return {
      exitCode: missing.length > 0 ? 125 : 0,
      stdout: JSON.stringify(
        found.map((Name) => ({
          Name,
          State: { Status: "running", Running: true },
          Config: { Image: `registry.example/${Name}:v1` },
        })),
      ),
      stderr: missing.map((name) => `Error: no such container ${name}\n`).join(""),
    };
  };

  it("one podman inspect answers every caller, a missing container being undefined", async () => {
    const node = new FakeTransport(label(), podmanWith(["a", "c"]));
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((name) => inspectBatched(node, name)));
    expect(node.commands).toEqual(["podman container inspect -- a b c"]);
    expect([a?.name, a?.version, b, c?.running]).toEqual(["a", "v1", undefined, true]);
  });

  it("lines a login shell's rc file prints on stderr are not podman's: a missing one is still just missing", async () => {
    const noisy = (argv: readonly string[]) => {
      const answer = podmanWith(["a"])(argv);
      return {
        ...answer,
        stderr: `rm: cannot remove '/root/.pyenv/shims/tmp.x': No such file\n${answer.stderr}`,
      };
    };
    const node = new FakeTransport(label(), noisy);
    const [a, b] = await Promise.all(["a", "b"].map((name) => inspectBatched(node, name)));
    expect([a?.name, b]).toEqual(["a", undefined]);
  });

  it("a failure other than a missing container reaches every caller", async () => {
    const node = new FakeTransport(label(), () => failed("Error: cannot open database"));
    const outcomes = await Promise.allSettled(["a", "b"].map((name) => inspectBatched(node, name)));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      if (outcome.status === "rejected")
        expect(String(outcome.reason)).toMatch(
          /podman container inspect a b failed \(exit 125\): Error: cannot open database/,
        );
    }
    expect(node.commands).toHaveLength(1);
  });
});

describe("stopBatched and removeBatched", () => {
  it("stops that arrive together with one timeout go out as one podman stop", async () => {
    const node = new FakeTransport(label());
    await Promise.all([
      stopBatched(node, "a", 5),
      stopBatched(node, "b", 5),
      stopBatched(node, "c", 1),
    ]);
    expect(node.commands.sort()).toEqual([
      "podman --max-workers 2 stop --ignore --time 5 -- a b",
      "podman stop --ignore --time 1 -- c",
    ]);
  });

  it("when the shared command fails, each is tried alone and only its own failure reaches it", async () => {
    const node = new FakeTransport(label(), (argv) =>
      argv.at(-1) === "b" || argv.includes("--max-workers") ? failed("Error: b is stuck") : ok(),
    );
    const outcomes = await Promise.allSettled(
      ["a", "b"].map((name) => removeBatched(node, name, 0)),
    );
    expect(node.commands).toEqual([
      "podman --max-workers 2 rm --force --ignore --time 0 -- a b",
      "podman rm --force --ignore --time 0 -- a",
      "podman rm --force --ignore --time 0 -- b",
    ]);
    expect(outcomes[0]?.status).toBe("fulfilled");
    expect(outcomes[1]?.status === "rejected" && String(outcomes[1].reason)).toBe(
      "CommandFailed: podman rm b failed (exit 125): Error: b is stuck",
    );
  });

  it("a lone failing name is not run twice", async () => {
    const node = new FakeTransport(label(), () => failed("Error: stuck"));
    await expect(stopBatched(node, "a", 2)).rejects.toThrow(/podman stop a failed/);
    expect(node.commands).toEqual(["podman stop --ignore --time 2 -- a"]);
  });
});
