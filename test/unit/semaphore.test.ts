import { describe, expect, it } from "vitest";
import { Semaphore } from "../../provider/transport/semaphore";

/** Lets every pending promise continuation run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("Semaphore", () => {
  it("never has more than limit holders, even for a caller arriving as a holder releases", async () => {
    const semaphore = new Semaphore(1);
    let holders = 0;
    let most = 0;
    const order: string[] = [];
    const hold = async (who: string) => {
      const release = await semaphore.acquire();
      holders += 1;
      most = Math.max(most, holders);
      order.push(who);
      return () => {
        holders -= 1;
        release();
      };
    };
    const releaseA = await hold("a");
    const b = hold("b"); // waits
    await settle();
    releaseA();
    const c = hold("c"); // arrives before b has resumed
    const releaseB = await b;
    await settle();
    expect(order).toEqual(["a", "b"]);
    expect(semaphore.inUse).toBe(1);
    releaseB();
    (await c)();
    expect(order).toEqual(["a", "b", "c"]);
    expect(most).toBe(1);
    expect(semaphore.inUse).toBe(0);
  });

  it("serves waiters in order of arrival, limit at a time; a second release is a no-op", async () => {
    const semaphore = new Semaphore(2);
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();
    const got: number[] = [];
    const waiters = [3, 4, 5].map((n) =>
      semaphore.acquire().then((release) => {
        got.push(n);
        return release;
      }),
    );
    await settle();
    expect(got).toEqual([]);
    first();
    first();
    await settle();
    expect(got).toEqual([3]);
    second();
    await settle();
    expect(got).toEqual([3, 4]);
    expect(semaphore.inUse).toBe(2);
    for (const release of await Promise.all(waiters.slice(0, 2))) release();
    await settle();
    expect(got).toEqual([3, 4, 5]);
    (await waiters[2])?.();
    expect(semaphore.inUse).toBe(0);
  });
});
