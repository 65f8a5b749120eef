import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { nextRevisions, tracked } from "../../provider/diff/revisions";
import componentProvider from "../../provider/resources/component-provider";
import serviceProvider from "../../provider/resources/service-provider";
import { UNKNOWN } from "../../provider/spec/unknown";
import { validInputs, validServiceInputs } from "./fixtures";

type Bag = Record<string, unknown>;
const component = componentProvider as Required<pulumi.dynamic.ResourceProvider>;
const service = serviceProvider as Required<pulumi.dynamic.ResourceProvider>;

async function checked(provider: typeof component, olds: Bag, news: Bag): Promise<Bag> {
  const result = await provider.check(olds, news);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Bag;
}

describe("revisions: what a preview can show of a masked value's change", () => {
  it("start at 1, stay while a value stays, go up by one when it changes", () => {
    const first = nextRevisions(undefined, undefined, { "env.A": "x", "env.B": "y" });
    expect(first).toEqual({ "env.A": 1, "env.B": 1 });
    const same = nextRevisions({ "env.A": "x", "env.B": "y" }, first, {
      "env.A": "x",
      "env.B": "y",
    });
    expect(same).toEqual(first);
    const changed = nextRevisions({ "env.A": "x", "env.B": "y" }, same, {
      "env.A": "z",
      "env.B": "y",
    });
    expect(changed).toEqual({ "env.A": 2, "env.B": 1 });
  });

  it("an unknown value's revision is unknown too; a whole unknown group keeps what state has", () => {
    expect(nextRevisions({ "env.A": "x" }, { "env.A": 3 }, { "env.A": UNKNOWN })).toEqual({
      "env.A": UNKNOWN,
    });
    expect(tracked({ env: UNKNOWN })).toBeUndefined();
    expect(nextRevisions({ "env.A": "x" }, { "env.A": 3 }, undefined)).toEqual({ "env.A": 3 });
  });

  it("nothing tracked, no revisions", () => {
    expect(nextRevisions(undefined, undefined, {})).toBeUndefined();
  });

  it("Component check: a new secret file content bumps its revision only, the value never shown", async () => {
    const first = await checked(
      component,
      {},
      validInputs({
        env: { TOKEN: "t1", LEVEL: "info" },
        secretFiles: { key: "k1" },
      }),
    );
    expect(first.revisions).toEqual({
      "credentials.privateKey": 1,
      "env.LEVEL": 1,
      "env.TOKEN": 1,
      "secretFiles.key": 1,
    });
    const next = await checked(
      component,
      first,
      validInputs({
        env: { TOKEN: "t1", LEVEL: "info" },
        secretFiles: { key: "k2" },
      }),
    );
    expect(next.revisions).toEqual({
      "credentials.privateKey": 1,
      "env.LEVEL": 1,
      "env.TOKEN": 1,
      "secretFiles.key": 2,
    });
    expect(JSON.stringify(next.revisions)).not.toContain("k2");
  });

  it("a revision the program sets is ignored: the provider keeps count", async () => {
    const inputs = await checked(
      component,
      {},
      validInputs({ env: { A: "1" }, revisions: { "env.A": 9 } }),
    );
    expect(inputs.revisions).toEqual({ "credentials.privateKey": 1, "env.A": 1 });
  });

  it("Service check: keys name the component; a changed env value bumps only its own", async () => {
    const first = await checked(service, {}, validServiceInputs());
    expect(first.revisions).toEqual({ "api.env.TOKEN": 1, "credentials.privateKey": 1 });
    const next = await checked(
      service,
      first,
      validServiceInputs({ componentEnv: [{ TOKEN: "rotated" }, { LEVEL: "debug" }] }),
    );
    expect(next.revisions).toEqual({
      "api.env.TOKEN": 2,
      "credentials.privateKey": 1,
      "web.env.LEVEL": 1,
    });
  });

  it("a rotated login key shows as its revision going up (the key itself is [secret])", async () => {
    const first = await checked(component, {}, validInputs());
    const rotated = await checked(
      component,
      first,
      validInputs({ credentials: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnew\n" } }),
    );
    expect(rotated.revisions).toEqual({ "credentials.privateKey": 2 });
  });

  it("a jump host's credentials (an object) keep their revision while they stay the same", async () => {
    const jump = (key: string) =>
      validInputs({
        node: {
          host: "rift.example.net",
          hostKey: `SHA256:${"A".repeat(43)}`,
          bootPersistence: false,
          proxyJump: { host: "jump.example.net", hostKey: `SHA256:${"B".repeat(43)}` },
        },
        credentials: { privateKey: "k", proxyJump: { privateKey: key } },
      });
    const first = await checked(component, {}, jump("jump-key"));
    expect(first.revisions).toEqual({ "credentials.privateKey": 1, "credentials.proxyJump": 1 });
    // A fresh object with the same content, as every program run sends.
    const again = await checked(component, first, jump("jump-key"));
    expect(again.revisions).toEqual(first.revisions);
    const rotated = await checked(component, again, jump("new-jump-key"));
    expect(rotated.revisions).toEqual({ "credentials.privateKey": 1, "credentials.proxyJump": 2 });
  });
});
