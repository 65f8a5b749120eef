import * as pulumi from "@pulumi/pulumi";
import type { ComponentFields } from "./component";
import { type NodeArgs, nodeInputs } from "./node-args";
import { secretContents } from "./secret-values";
import { byName, plainNames, serviceIgnoreChanges } from "./service-ignore-changes";
import type { ComponentStatus } from "./service-state";

import serviceProvider = require("./service-provider");

export type { ComponentStatus } from "./service-state";

export interface ServiceArgs {
  /** The node every component runs on. A plain object: its fields may each be Inputs. */
  node: NodeArgs;
  /** The MCP service name; the resource name by default. Workloads are `<name>-<component>`. */
  name?: pulumi.Input<string>;
  /** false stops every component but keeps it; true (the default) runs them. */
  active?: pulumi.Input<boolean>;
  /** The components, as in an MCP service definition. */
  components: ComponentFields[];
  /** Take over running workloads of the components' names at create, as `Component`'s `adopt` does. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * Splits each component's env out into `componentEnv`, a secret of its own,
 * so a secret env value does not make every component field secret (and
 * unreadable in previews); secret files likewise into `componentSecretFiles`
 * (only when some component has any). Done without resolving any Input.
 * Keyed by component name when the names are plain strings, as `check`
 * returns them, so that `ignoreChanges` paths reach them
 * (service-ignore-changes.ts); else lists.
 */
function splitEnv(
  components: ComponentFields[],
  names: string[] | undefined,
): Record<string, unknown> {
  const withoutEnv = components.map(({ env: _env, secretFiles: _files, ...fields }) => fields);
  const env = components.map((component) => component.env ?? {});
  const split: Record<string, unknown> = {
    components: byName(names, withoutEnv),
    componentEnv: pulumi.secret(byName(names, env)),
  };
  if (components.some((component) => component.secretFiles !== undefined)) {
    split.componentSecretFiles = byName(
      names,
      components.map((component) => secretContents(component.secretFiles) ?? {}),
    );
  }
  return split;
}

/**
 * An MCP service: a named group of components on one node, converged as a
 * whole — new components created, removed ones deleted, changed ones updated
 * in place, independent ones in parallel.
 */
export class Service extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly active: pulumi.Output<boolean>;
  /** Each component's container or VM name, running version and state, by component name. */
  declare readonly status: pulumi.Output<Record<string, ComponentStatus>>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.CustomResourceOptions) {
    const names = plainNames(args.components);
    const ignoreChanges = serviceIgnoreChanges(name, args.components, names, opts?.ignoreChanges);
    super(
      serviceProvider,
      name,
      {
        name: args.name ?? name,
        active: args.active,
        adopt: args.adopt,
        ...splitEnv(args.components, names),
        ...nodeInputs(args.node),
        status: undefined,
      },
      {
        ...opts,
        ...(ignoreChanges ? { ignoreChanges } : {}),
        additionalSecretOutputs: [
          ...(opts?.additionalSecretOutputs ?? []),
          "credentials",
          "componentEnv",
          "componentSecretFiles",
        ],
      },
      "mcp",
      "Service",
    );
  }
}
