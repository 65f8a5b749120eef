import { describe, expect, it } from "vitest";
import type { ComponentFields } from "../../provider/resources/component";
import {
  byName,
  plainNames,
  serviceIgnoreChanges,
} from "../../provider/resources/service-ignore-changes";
import { checkService } from "../../provider/spec/service";
import { validServiceInputs } from "./fixtures";

// The engine resets ignoreChanges paths in the program's inputs to their value in the checked
// inputs of state (components keyed by name); a path works only where both have that shape
// (test/e2e/engine-behaviour.e2e.test.ts proves it through the real CLI).
const components: ComponentFields[] = [
  { name: "api", image: "reg:5000/mcq:v1" },
  { name: "my-web", image: "reg:5000/mcq-web:v1" },
];
const names = plainNames(components);
const paths = (list: string[]) => serviceIgnoreChanges("mcq", components, names, list);

describe("Service ignoreChanges paths", () => {
  it("names of plain strings key the components; repeated or computed names keep the list", () => {
    expect(names).toEqual(["api", "my-web"]);
    expect(byName(names, [1, 2])).toEqual({ api: 1, "my-web": 2 });
    expect(plainNames([...components, { name: "api", image: "x:v1" }])).toBeUndefined();
    const computed = [{ ...components[0], name: Promise.resolve("api") }] as ComponentFields[];
    expect(plainNames(computed)).toBeUndefined();
    expect(byName(undefined, [1, 2])).toEqual([1, 2]);
  });

  it("rewrites a component's field by index or name to the keyed path; env and secret files to their maps", () => {
    expect(
      paths([
        "components[0].image",
        "components[1].ports[0]",
        "components.api.image",
        'components["my-web"].cmd',
        "components[0].env.TOKEN",
        "components.api.env",
        "components[1].secretFiles.tls",
        "components",
        "active",
      ]),
    ).toEqual([
      "components.api.image",
      'components["my-web"].ports[0]',
      "components.api.image",
      'components["my-web"].cmd',
      "componentEnv.api.TOKEN",
      "componentEnv.api",
      'componentSecretFiles["my-web"].tls',
      "components",
      "active",
    ]);
    expect(serviceIgnoreChanges("mcq", components, names, undefined)).toBeUndefined();
  });

  it("refuses a path that cannot work, naming it", () => {
    expect(() => paths(["components[2].image"])).toThrow(
      'Service mcq: ignoreChanges "components[2].image" cannot work: the service has 2 component(s)',
    );
    expect(() => paths(["components.worker.image"])).toThrow(
      'ignoreChanges "components.worker.image" cannot work: the service has no component "worker"',
    );
    expect(() =>
      serviceIgnoreChanges("mcq", components, undefined, ["components[0].image"]),
    ).toThrow(/a component name is not a plain string .* use ignoreChanges: \["components"\]/);
    expect(serviceIgnoreChanges("mcq", components, undefined, ["components", "active"])).toEqual([
      "components",
      "active",
    ]);
  });

  it("check reads the keyed form as it reads the list: the same spec, failures named by component", () => {
    const list = validServiceInputs();
    const keyed = validServiceInputs({
      components: {
        api: { name: "api", image: "reg:5000/mcq:v1", ports: ["8443:8443"] },
        web: { name: "web", image: "reg:5000/mcq-web:v1", ports: ["8080:80"] },
      },
      componentEnv: { api: { TOKEN: "secret-token" }, web: {} },
    });
    const fromList = checkService(list);
    const fromKeyed = checkService(keyed);
    expect(fromKeyed.ok).toBe(true);
    expect(fromKeyed).toEqual(fromList);
    const bad = checkService(
      validServiceInputs({
        components: { api: { name: "api", image: "reg:5000/mcq:latest" } },
        componentEnv: { api: {} },
      }),
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.failures[0]?.property).toBe("components.api.image");
  });
});
