import { describe, expect, it } from "vitest";
import { type ComponentDiff, planChange } from "../../provider/diff/component-diff";
import { diffService } from "../../provider/diff/service-diff";
import { checkService, type ServiceSpec } from "../../provider/spec/service";
import { validServiceInputs } from "./fixtures";

const node = { host: "rift.example.net", hostKey: `SHA256:${"A".repeat(43)}` };
const service = validServiceInputs;

function specOf(input: Record<string, unknown>): ServiceSpec {
  const outcome = checkService(input);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

describe("checkService", () => {
  it("keys components and their env by name, with component defaults filled", () => {
    const spec = specOf(service());
    expect(Object.keys(spec.components)).toEqual(["api", "web"]);
    expect(spec.components.api).toMatchObject({
      name: "api",
      restart: "unless-stopped",
      ports: ["127.0.0.1:8443:8443/tcp"],
    });
    expect(spec.componentEnv).toEqual({ api: { TOKEN: "secret-token" }, web: {} });
    expect(spec.active).toBe(true);
  });

  it("is idempotent: checking the checked form gives the same spec", () => {
    const once = specOf(service());
    expect(specOf({ ...once })).toEqual(once);
  });

  it("names the component, field and value of a bad component", () => {
    const outcome = checkService(
      service({ components: [{ name: "api", image: "reg:5000/mcq:latest" }] }),
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failures[0]?.property).toBe("components[0].image");
    expect(outcome.failures[0]?.reason).toContain('components[0].image = "reg:5000/mcq:latest"');
  });

  it("refuses duplicate component names and a host port published by two components", () => {
    const duplicate = checkService(
      service({
        components: [
          { name: "api", image: "r:5000/a:v1" },
          { name: "api", image: "r:5000/b:v1" },
        ],
      }),
    );
    expect(duplicate.ok).toBe(false);
    const clash = checkService(
      service({
        components: [
          { name: "api", image: "r:5000/a:v1", ports: ["8080:80"] },
          { name: "web", image: "r:5000/b:v1", ports: ["127.0.0.1:8080:81"] },
        ],
        componentEnv: [],
      }),
    );
    expect(clash.ok).toBe(false);
    if (!clash.ok) expect(clash.failures[0]?.reason).toContain("also published by component api");
  });

  it("never shows env values in failures", () => {
    const outcome = checkService(service({ componentEnv: [{ "BAD KEY": "secret-token" }, {}] }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      for (const f of outcome.failures) expect(f.reason).not.toContain("secret-token");
  });
});

describe("diffService", () => {
  it("no change when nothing changed; a new order of components changes only the boot order", () => {
    expect(diffService(specOf(service()), specOf(service())).changes).toBe(false);
    const reordered = service({
      components: [
        { name: "web", image: "reg:5000/mcq-web:v1", ports: ["8080:80"] },
        { name: "api", image: "reg:5000/mcq:v1", ports: ["8443:8443"] },
      ],
      componentEnv: [{}, { TOKEN: "secret-token" }],
    });
    const diff = diffService(specOf(service()), specOf(reordered));
    expect(diff.changed.api?.changed).toEqual(["after"]);
    expect(diff.changed.web?.changed).toEqual(["after"]);
    expect(planChange(diff.changed.api as ComponentDiff)).toBe("boot-unit");
    // The same order written with after: no change at all.
    const explicit = service({
      components: [
        { name: "web", image: "reg:5000/mcq-web:v1", ports: ["8080:80"], after: ["api"] },
        { name: "api", image: "reg:5000/mcq:v1", ports: ["8443:8443"], after: [] },
      ],
      componentEnv: [{}, { TOKEN: "secret-token" }],
    });
    expect(diffService(specOf(service()), specOf(explicit)).changes).toBe(false);
  });

  it("names added, removed and changed components and fields; updates in place", () => {
    const next = service({
      components: [
        { name: "api", image: "reg:5000/mcq:v2", ports: ["8443:8443"] },
        { name: "worker", image: "reg:5000/mcq-worker:v1" },
      ],
      componentEnv: [{ TOKEN: "secret-token" }, {}],
    });
    const diff = diffService(specOf(service()), specOf(next));
    expect(diff).toMatchObject({
      changes: true,
      replaces: [],
      added: ["worker"],
      removed: ["web"],
    });
    expect(diff.changed.api?.changed).toEqual(["image"]);
  });

  it("active false → update in place; another host → replace; another name → replace", () => {
    expect(diffService(specOf(service()), specOf(service({ active: false })))).toMatchObject({
      changes: true,
      activeChanged: true,
      replaces: [],
    });
    expect(
      diffService(specOf(service()), specOf(service({ node: { ...node, host: "other" } })))
        .replaces,
    ).toEqual(["node"]);
    const renamed = diffService(specOf(service()), specOf(service({ name: "mcq2" })));
    expect(renamed.replaces).toEqual(["name"]);
    expect(renamed.deleteBeforeReplace).toBe(true);
  });

  it("a component's runtime change stays an in-place update of the service", () => {
    const next = specOf(service());
    const api = next.components.api;
    if (!api) throw new Error("no api");
    next.components.api = { ...api, runtime: "unikernel" };
    const diff = diffService(specOf(service()), next);
    expect(diff.replaces).toEqual([]);
    expect(diff.changed.api?.replaces).toEqual(["runtime"]);
  });
});
