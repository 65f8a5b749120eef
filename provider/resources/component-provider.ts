import type * as pulumi from "@pulumi/pulumi";
import { diffComponent, needsRecreate } from "../diff/component-diff";
import { runtimeFor } from "../runtime";
import { createWorkload, removeWorkload, replaceWorkload } from "../runtime/deploy";
import { withNodeLock } from "../runtime/node-lock";
import { checkComponent } from "../spec/check-component";
import { type ComponentSpec, workloadName } from "../spec/component";
import { messageOf } from "../spec/message-of";
import {
  type ComponentState,
  containsUnknown,
  inputsOnly,
  observedSpec,
  specFrom,
  stateOf,
} from "./component-state";
import { withoutUndefined } from "./plain-struct";
import { workloadId } from "./workload-id";

type Bag = Record<string, unknown>;

/** Prefixes errors with which component on which node, once. */
async function about<T>(spec: ComponentSpec, action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const message = messageOf(error);
    const where = spec.node.local
      ? "local node"
      : `${spec.node.user}@${spec.node.host}:${spec.node.port}`;
    throw new Error(`${action} component ${workloadName(spec)} on ${where}: ${message}`);
  }
}

/**
 * The dynamic provider behind `mcp.Component`. It is this module's whole
 * export so that Pulumi serialises it as `require("pulumi-mcp/…")` when the
 * package is installed: state then holds no copy of our code.
 */
const componentProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Bag, news: Bag): Promise<pulumi.dynamic.CheckResult> {
    const inputs = inputsOnly(news);
    // Values not known until `up` are validated then; never guess at them now.
    if (containsUnknown(inputs)) return { inputs: news };
    const outcome = checkComponent(inputs);
    if (!outcome.ok) return { inputs: news, failures: outcome.failures };
    return { inputs: { ...outcome.spec } };
  },

  async diff(_id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.DiffResult> {
    const result = diffComponent(
      olds as unknown as ComponentState,
      news as unknown as ComponentSpec,
    );
    return {
      changes: result.changes,
      replaces: result.replaces,
      deleteBeforeReplace: result.deleteBeforeReplace,
    };
  },

  async create(inputs: Bag): Promise<pulumi.dynamic.CreateResult> {
    const spec = specFrom(inputs, "inputs");
    const runtime = runtimeFor(spec);
    const live = await about(spec, "creating", () =>
      withNodeLock(runtime.transport, spec.node.lockTimeoutMs, () => createWorkload(runtime, spec)),
    );
    return { id: workloadId(spec.node, live.name), outs: stateOf(spec, live) };
  },

  async read(id: string, props?: Bag): Promise<pulumi.dynamic.ReadResult> {
    if (!props?.node) {
      throw new Error(
        `cannot read component ${id}: its node is unknown (to import, declare the resource with its inputs and the import option)`,
      );
    }
    // Without computed outputs this is an import: props are the program's inputs.
    const importing = props.containerName === undefined;
    const spec = specFrom(props, importing ? "inputs" : "state");
    const expectedId = workloadId(spec.node, workloadName(spec));
    if (importing && id !== expectedId) {
      throw new Error(
        `cannot import ${JSON.stringify(id)}: the inputs describe ${JSON.stringify(expectedId)} (import ids are <host>[:port]/<service>-<name>)`,
      );
    }
    const live = await about(spec, "reading", () => runtimeFor(spec).inspect(workloadName(spec)));
    if (!live) {
      if (importing)
        throw new Error(
          `cannot import ${id}: no container ${workloadName(spec)} on ${spec.node.host}`,
        );
      return { id: "" };
    }
    const observed = observedSpec(spec, live);
    const state = stateOf(observed, live);
    // On import, what runs becomes the inputs: the engine then shows any difference from the program.
    return importing
      ? { id, props: state, inputs: { ...withoutUndefined(observed) } }
      : { id, props: state };
  },

  async update(_id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.UpdateResult> {
    const previous = specFrom(olds, "state");
    const spec = specFrom(news, "inputs");
    const diff = diffComponent(previous, spec);
    if (!needsRecreate(diff)) {
      const state = olds as unknown as ComponentState;
      return { outs: { ...state, ...spec } };
    }
    const runtime = runtimeFor(spec);
    const live = await about(spec, "updating", () =>
      withNodeLock(runtime.transport, spec.node.lockTimeoutMs, () =>
        replaceWorkload(runtime, previous, spec),
      ),
    );
    return { outs: stateOf(spec, live) };
  },

  async delete(_id: string, props: Bag): Promise<void> {
    const spec = specFrom(props, "state");
    const runtime = runtimeFor(spec);
    await about(spec, "deleting", () =>
      withNodeLock(runtime.transport, spec.node.lockTimeoutMs, () => removeWorkload(runtime, spec)),
    );
  },
};

export = componentProvider;
