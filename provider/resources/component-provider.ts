import { isDeepStrictEqual } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import { diffComponent, isUnhealthy, planChange, touchesNode } from "../diff/component-diff";
import { credentialGroups, nextRevisions, tracked } from "../diff/revisions";
import { keepPin } from "../diff/tag-drift";
import { observedSpec } from "../runtime/observed-spec";
import { checkComponent } from "../spec/check-component";
import { type ComponentSpec, wantedBootUnit, workloadName } from "../spec/component";
import { messageOf } from "../spec/message-of";
import { inputsOnly, specFrom, stateKeeping, stateOf } from "./component-state";
import {
  applyChange,
  createWorkload,
  observedBootUnit,
  observedHealth,
  removeWorkload,
  runtimeFor,
  withNodeLock,
} from "./node-work";
import { progressLines } from "./progress-lines";
import { checkTag, noteTagDrift } from "./tag-check";
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
  async check(olds: Bag, news: Bag): Promise<pulumi.dynamic.CheckResult> {
    // In a preview, unknown values stay unknown; everything known is checked and normalised.
    const outcome = checkComponent(inputsOnly(news));
    if (!outcome.ok) return { inputs: news, failures: outcome.failures };
    const { revisions: _given, ...spec } = outcome.spec;
    const revisions = nextRevisions(
      tracked({
        env: olds.env,
        secretFiles: olds.secretFiles,
        ...credentialGroups(olds.credentials),
      }),
      olds.revisions,
      tracked({
        env: spec.env,
        secretFiles: spec.secretFiles,
        ...credentialGroups(spec.credentials),
      }),
    );
    return { inputs: { ...spec, ...(revisions ? { revisions } : {}) } };
  },

  async diff(_id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.DiffResult> {
    // A tag the last refresh found moved in the registry: said at every preview, both digests.
    if (typeof news.image === "string" && typeof news.service === "string")
      noteTagDrift({ service: news.service, name: String(news.name), image: news.image }, olds);
    // The no-change run's case, without validating both again: news is what check returned,
    // and state holds what check returned last time, so the same inputs are the same spec.
    // (A workload refresh found unhealthy is a change even then: see isUnhealthy.)
    if (olds.state !== "unhealthy" && isDeepStrictEqual(inputsOnly(olds), inputsOnly(news))) {
      return { changes: false };
    }
    // Old state normalised too: state written by an older version gets today's defaults.
    const spec = specFrom(news, "inputs");
    const result = diffComponent(specFrom(olds, "state"), spec);
    return {
      changes: result.changes || isUnhealthy(olds.state, spec),
      replaces: result.replaces,
      deleteBeforeReplace: result.deleteBeforeReplace,
    };
  },

  async create(inputs: Bag): Promise<pulumi.dynamic.CreateResult> {
    const spec = specFrom(inputs, "inputs");
    const runtime = await runtimeFor(spec, progressLines);
    const live = await about(spec, "creating", () =>
      withNodeLock(runtime.transport, spec.node.lockTimeoutMs, () => createWorkload(runtime, spec)),
    );
    return { id: workloadId(spec.node, live.name), outs: stateOf(spec, live) };
  },

  /**
   * Refresh (and `Resource.get`): what runs now. The engine's import (the
   * `import` option, `pulumi import`) never gets here for a dynamic provider
   * (pulumi/pulumi#3550): adoption is `adopt: true` at create.
   */
  async read(id: string, props?: Bag): Promise<pulumi.dynamic.ReadResult> {
    if (!props?.node) {
      throw new Error(
        `cannot read component ${id}: its node is unknown (no state). To take over a running workload, declare it with adopt: true`,
      );
    }
    const spec = specFrom(props, "state");
    const runtime = await runtimeFor(spec);
    const [live, bootUnit] = await about(spec, "reading", () =>
      Promise.all([
        // A failing health check shows as state "unhealthy": drift a refresh reports.
        runtime
          .observe(workloadName(spec))
          .then((found) => found && observedHealth(runtime.transport, spec, found)),
        observedBootUnit(runtime.transport, spec, wantedBootUnit(spec)),
      ]),
    );
    if (!live) return { id: "" };
    const recorded = typeof props.imageDigest === "string" ? props.imageDigest : undefined;
    const { registry, drift } = await checkTag(spec, live, runtime.transport);
    const observed = observedSpec(spec, live, recorded, drift);
    return { id, props: stateOf({ ...observed, bootUnit }, live, registry) };
  },

  async update(_id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.UpdateResult> {
    const previous = specFrom(olds, "state");
    // pinDigest: a recreate for another field runs the digest that ran before.
    const spec = keepPin(previous, specFrom(news, "inputs"), olds.pinnedImage);
    const planned = planChange(diffComponent(previous, spec));
    const plan =
      planned !== "replace-runtime" && isUnhealthy(olds.state, spec) ? "recreate" : planned;
    // State only (credentials, host key, timeouts, …): nothing on the node, no connection.
    if (!touchesNode(plan)) return { outs: stateKeeping(spec, olds) };
    const live = await about(spec, "updating", async () =>
      withNodeLock((await runtimeFor(spec)).transport, spec.node.lockTimeoutMs, () =>
        applyChange(plan, previous, spec, progressLines),
      ),
    );
    return { outs: stateOf(spec, live) };
  },

  async delete(_id: string, props: Bag): Promise<void> {
    const spec = specFrom(props, "state");
    const runtime = await runtimeFor(spec);
    await about(spec, "deleting", () =>
      withNodeLock(runtime.transport, spec.node.lockTimeoutMs, () => removeWorkload(runtime, spec)),
    );
  },
};

export = componentProvider;
