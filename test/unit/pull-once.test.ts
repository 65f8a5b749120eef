import { afterEach, describe, expect, it, vi } from "vitest";
import { pullOnce } from "../../provider/runtime/pull-once";
import { FakeTransport, uniqueLabel } from "./fakes/fake-transport";

/** A fresh node per test: pull-once remembers pulls per node label and image. */
const node = () => new FakeTransport(uniqueLabel());

/** A pull that counts its runs and settles when told. */
function controlledPull() {
  const pull = {
    runs: 0,
    settle: (_error?: Error) => {},
    fn: () => {
      pull.runs += 1;
      return new Promise<void>((resolve, reject) => {
        pull.settle = (error) => (error ? reject(error) : resolve());
      });
    },
  };
  return pull;
}

afterEach(() => vi.restoreAllMocks());

describe("pullOnce", () => {
  it("concurrent pulls of one image on one node share one pull", async () => {
    const transport = node();
    const pull = controlledPull();
    const both = Promise.all([
      pullOnce(transport, "img:v1", pull.fn),
      pullOnce(transport, "img:v1", pull.fn),
    ]);
    pull.settle();
    await both;
    expect(pull.runs).toBe(1);
  });

  it("another image, or the same image on another node, is another pull", async () => {
    const [one, two] = [node(), node()];
    let runs = 0;
    const pull = async () => {
      runs += 1;
    };
    await Promise.all([
      pullOnce(one, "img:v1", pull),
      pullOnce(one, "img:v2", pull),
      pullOnce(two, "img:v1", pull),
    ]);
    expect(runs).toBe(3);
  });

  it("a failed pull fails every caller waiting on it and is not remembered", async () => {
    const transport = node();
    const pull = controlledPull();
    const waiting = [
      pullOnce(transport, "img:v1", pull.fn),
      pullOnce(transport, "img:v1", pull.fn),
    ];
    pull.settle(new Error("manifest unknown"));
    for (const outcome of await Promise.allSettled(waiting))
      expect(outcome.status === "rejected" && String(outcome.reason)).toBe(
        "Error: manifest unknown",
      );
    const again = pullOnce(transport, "img:v1", pull.fn);
    pull.settle();
    await again;
    expect(pull.runs).toBe(2);
  });

  it("a good pull counts for 60 s from its start, then the image is pulled again", async () => {
    const transport = node();
    const now = vi.spyOn(Date, "now").mockReturnValue(1_000_000);
    let runs = 0;
    const pull = async () => {
      runs += 1;
    };
    await pullOnce(transport, "img:v1", pull);
    now.mockReturnValue(1_000_000 + 59_999);
    await pullOnce(transport, "img:v1", pull);
    expect(runs).toBe(1);
    now.mockReturnValue(1_000_000 + 60_000);
    await pullOnce(transport, "img:v1", pull);
    expect(runs).toBe(2);
  });
});
