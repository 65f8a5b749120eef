import type * as pulumi from "@pulumi/pulumi";
import { isUnhealthy, type NodeChange, planChange, touchesNode } from "../diff/component-diff";
import { credentialGroups, nextRevisions, perComponent, tracked } from "../diff/revisions";
import { diffService, type ServiceDiff } from "../diff/service-diff";
import { keepPin } from "../diff/tag-drift";
import { observedSpec } from "../runtime/observed-spec";
import { settleAll } from "../runtime/parallel";
import { wantedBootUnit, workloadName } from "../spec/component";
import { messageOf } from "../spec/message-of";
import { checkService, componentOf, type ServiceSpec } from "../spec/service";
import { isUnknown } from "../spec/unknown";
import { inputsOnly } from "./component-state";
import {
  applyChange,
  createWorkload,
  observedBootUnit,
  observedHealth,
  removeWorkload,
  runtimeFor,
  withNodeLock,
} from "./node-work";
import { withoutUndefined } from "./plain-struct";
import { progressLines } from "./progress-lines";
import {
  type ComponentStatus,
  serviceSpecFrom,
  setSecretFiles,
  stateWith,
  statusOf,
} from "./service-state";
import { checkTag, noteTagDrift } from "./tag-check";
import { workloadId } from "./workload-id";

type Bag = Record<string, unknown>;

/** Independent components deploy side by side, this many at a time per service. */
const PARALLEL_COMPONENTS = 4;

function serviceId(spec: ServiceSpec): string {
  return workloadId(spec.node, spec.name);
}

/**
 * Throws the failures of a converge step, naming each component, and hands
 * the engine the state that really exists now (a partial create/update), so
 * the components that succeeded are not done again and the failed one is.
 */
function failWithPartialState(
  id: string,
  spec: ServiceSpec,
  status: Record<string, ComponentStatus>,
  failures: string[],
  provider: unknown,
): never {
  const message = `service ${spec.name}: ${failures.join("\n")}`;
  const error = new Error(message) as Error & { id: string; properties: Bag; reasons: string[] };
  error.id = id;
  error.properties = withoutUndefined({ ...stateWith(spec, status), __provider: provider });
  error.reasons = failures;
  throw error;
}

/** Stops (active: false) or starts every component, as MCP does. */
async function applyActive(
  spec: ServiceSpec,
  names: string[],
): Promise<PromiseSettledResult<void>[]> {
  return settleAll(names, PARALLEL_COMPONENTS, async (name) => {
    const component = componentOf(spec, name);
    const runtime = await runtimeFor(component);
    if (spec.active) await runtime.start(workloadName(component));
    else await runtime.stop(workloadName(component), component.stopTimeout);
  });
}

async function refreshStatus(
  spec: ServiceSpec,
  names: string[],
): Promise<Record<string, ComponentStatus>> {
  const status: Record<string, ComponentStatus> = {};
  await Promise.all(
    names.map(async (name) => {
      const component = componentOf(spec, name);
      const live = await (await runtimeFor(component)).inspect(workloadName(component));
      if (live) status[name] = statusOf(live);
    }),
  );
  return status;
}

/** Components a refresh found failing their health check that still have one and still exist. */
function unhealthyComponents(status: Record<string, ComponentStatus>, spec: ServiceSpec): string[] {
  if (isUnknown(spec.components)) return [];
  return Object.entries(status)
    .filter(([name, { state }]) => {
      const component = spec.components[name];
      return component !== undefined && isUnhealthy(state, component);
    })
    .map(([name]) => name);
}

/** Preview: each component's tag the last refresh found moved in the registry, both digests. */
function noteTagDrifts(spec: ServiceSpec, olds: Bag): void {
  if (isUnknown(spec.components)) return;
  const components = (olds.components ?? {}) as Record<string, { image?: unknown } | undefined>;
  const status = (olds.status ?? {}) as Record<string, Partial<ComponentStatus> | undefined>;
  for (const [name, component] of Object.entries(spec.components)) {
    if (typeof component.image !== "string") continue;
    const state = { image: components[name]?.image, ...status[name] };
    noteTagDrift({ service: spec.name, name, image: component.image }, state);
  }
}

/** Runs one converge step of a service under its node's lock. */
async function locked<T>(spec: ServiceSpec, work: () => Promise<T>): Promise<T> {
  const first = Object.keys(spec.components)[0];
  if (first === undefined) return work();
  return withNodeLock(
    (await runtimeFor(componentOf(spec, first))).transport,
    spec.node.lockTimeoutMs,
    work,
  );
}

async function createService(inputs: Bag): Promise<pulumi.dynamic.CreateResult> {
  const spec = serviceSpecFrom(inputs, "inputs");
  const id = serviceId(spec);
  const names = Object.keys(spec.components);
  const results = await settleAll(names, PARALLEL_COMPONENTS, async (name) => {
    const component = componentOf(spec, name);
    const runtime = await runtimeFor(component, progressLines);
    const live = await createWorkload(runtime, component);
    if (!spec.active) await runtime.stop(live.name, component.stopTimeout);
    return live;
  });
  const status: Record<string, ComponentStatus> = {};
  const failures: string[] = [];
  results.forEach((result, index) => {
    const name = names[index] ?? "";
    if (result.status === "fulfilled") status[name] = statusOf(result.value);
    else failures.push(`component ${name}: ${messageOf(result.reason)}`);
  });
  if (failures.length > 0) {
    const current = await refreshStatus(spec, Object.keys(status));
    failWithPartialState(id, spec, current, failures, inputs.__provider);
  }
  const current = spec.active ? status : await refreshStatus(spec, names);
  return { id, outs: withoutUndefined({ ...spec, status: current }) };
}

async function updateService(
  id: string,
  olds: Bag,
  news: Bag,
): Promise<pulumi.dynamic.UpdateResult> {
  const previous = serviceSpecFrom(olds, "state");
  const spec = serviceSpecFrom(news, "inputs");
  const diff = diffService(previous, spec);
  // Each changed component goes the way a Component would (runtime/apply-change).
  const onNode: Record<string, NodeChange> = {};
  for (const [name, change] of Object.entries(diff.changed)) {
    const plan = planChange(change);
    if (touchesNode(plan)) onNode[name] = plan;
  }
  const lastStatus = (olds.status ?? {}) as Record<string, ComponentStatus>;
  // A refresh found these failing their health check: recreated, as Component does.
  for (const name of unhealthyComponents(lastStatus, spec)) onNode[name] ??= "recreate";
  const converge = [...diff.added, ...Object.keys(onNode)];
  // State only (credentials, host key, timeouts, minUptime, …): no lock, no connection.
  if (converge.length === 0 && diff.removed.length === 0 && !diff.activeChanged)
    return { outs: withoutUndefined({ ...spec, status: lastStatus }) };
  return locked(spec, () =>
    convergeService(id, previous, spec, news, { diff, onNode, converge, lastStatus }),
  );
}

interface ConvergePlan {
  diff: ServiceDiff;
  onNode: Record<string, NodeChange>;
  /** Components to create or change on the node: the added ones, then the changed ones. */
  converge: string[];
  lastStatus: Record<string, ComponentStatus>;
}

async function convergeService(
  id: string,
  previous: ServiceSpec,
  spec: ServiceSpec,
  news: Bag,
  { diff, onNode, converge, lastStatus }: ConvergePlan,
): Promise<pulumi.dynamic.UpdateResult> {
  const failures: string[] = [];
  // Which spec each component ends up with: the new one, or the old one when its step failed.
  const outcome: ServiceSpec = {
    ...spec,
    components: { ...spec.components },
    componentEnv: { ...spec.componentEnv },
    componentSecretFiles: { ...spec.componentSecretFiles },
  };

  // Removed components are reached the new way too: a rotated key may have revoked the old one.
  const reached = { ...previous, node: spec.node, credentials: spec.credentials };
  const removals = await settleAll(diff.removed, PARALLEL_COMPONENTS, async (name) => {
    const component = componentOf(reached, name);
    await removeWorkload(await runtimeFor(component), component);
  });
  removals.forEach((result, index) => {
    const name = diff.removed[index] ?? "";
    if (result.status === "rejected") {
      failures.push(`removing component ${name}: ${messageOf(result.reason)}`);
      outcome.components[name] = previous.components[name] as ServiceSpec["components"][string];
      outcome.componentEnv[name] = previous.componentEnv[name] ?? {};
      setSecretFiles(outcome, name, previous.componentSecretFiles[name]);
    }
  });

  const steps = await settleAll(converge, PARALLEL_COMPONENTS, async (name) => {
    const component = componentOf(spec, name);
    const plan = onNode[name];
    if (!plan) return createWorkload(await runtimeFor(component, progressLines), component);
    // pinDigest: a recreate for another field runs the digest that ran before.
    const kept = keepPin(componentOf(previous, name), component, lastStatus[name]?.pinnedImage);
    return applyChange(plan, componentOf(previous, name), kept, progressLines);
  });
  steps.forEach((result, index) => {
    const name = converge[index] ?? "";
    if (result.status === "fulfilled") return;
    failures.push(`component ${name}: ${messageOf(result.reason)}`);
    if (name in previous.components) {
      outcome.components[name] = previous.components[name] as ServiceSpec["components"][string];
      outcome.componentEnv[name] = previous.componentEnv[name] ?? {};
      setSecretFiles(outcome, name, previous.componentSecretFiles[name]);
    } else {
      delete outcome.components[name];
      delete outcome.componentEnv[name];
      setSecretFiles(outcome, name, undefined);
    }
  });

  const names = Object.keys(outcome.components);
  // A stopped service keeps what it created or recreated stopped too.
  const toggle = diff.activeChanged
    ? names
    : spec.active
      ? []
      : converge.filter((name) => names.includes(name));
  const toggled = await applyActive(spec, toggle);
  toggled.forEach((result, index) => {
    if (result.status === "rejected") {
      failures.push(
        `${spec.active ? "starting" : "stopping"} component ${toggle[index]}: ${messageOf(result.reason)}`,
      );
    }
  });
  const looked = names.filter(
    (name) => toggle.includes(name) || converge.includes(name) || !lastStatus[name],
  );
  const untouched = Object.fromEntries(
    Object.entries(lastStatus).filter(([name]) => names.includes(name) && !looked.includes(name)),
  );
  const status = { ...untouched, ...(await refreshStatus(outcome, looked)) };
  if (failures.length > 0) failWithPartialState(id, outcome, status, failures, news.__provider);
  return { outs: withoutUndefined({ ...outcome, status }) };
}

async function deleteService(props: Bag): Promise<void> {
  const spec = serviceSpecFrom(props, "state");
  const names = Object.keys(spec.components);
  const results = await settleAll(names, PARALLEL_COMPONENTS, async (name) => {
    const component = componentOf(spec, name);
    await removeWorkload(await runtimeFor(component), component);
  });
  const failures = results.flatMap((result, index) =>
    result.status === "rejected" ? [`component ${names[index]}: ${messageOf(result.reason)}`] : [],
  );
  if (failures.length > 0) throw new Error(`deleting service ${spec.name}: ${failures.join("\n")}`);
}

/** The dynamic provider behind `mcp.Service`; the module's whole export, as for Component. */
const serviceProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Bag, news: Bag): Promise<pulumi.dynamic.CheckResult> {
    // In a preview, unknown values stay unknown; everything known is checked and normalised.
    const outcome = checkService(inputsOnly(news));
    if (!outcome.ok) return { inputs: news, failures: outcome.failures };
    const { revisions: _given, ...spec } = outcome.spec;
    const revisions = nextRevisions(
      tracked({
        ...perComponent(olds.componentEnv, olds.componentSecretFiles),
        ...credentialGroups(olds.credentials),
      }),
      olds.revisions,
      tracked({
        ...perComponent(spec.componentEnv, spec.componentSecretFiles),
        ...credentialGroups(spec.credentials),
      }),
    );
    return { inputs: withoutUndefined({ ...spec, ...(revisions ? { revisions } : {}) }) };
  },

  async diff(_id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.DiffResult> {
    const spec = serviceSpecFrom(news, "inputs");
    noteTagDrifts(spec, olds);
    const result = diffService(serviceSpecFrom(olds, "state"), spec);
    const status = (olds.status ?? {}) as Record<string, ComponentStatus>;
    return {
      changes: result.changes || unhealthyComponents(status, spec).length > 0,
      replaces: result.replaces,
      deleteBeforeReplace: result.deleteBeforeReplace,
    };
  },

  async create(inputs: Bag): Promise<pulumi.dynamic.CreateResult> {
    return locked(serviceSpecFrom(inputs, "inputs"), () => createService(inputs));
  },

  async read(id: string, props?: Bag): Promise<pulumi.dynamic.ReadResult> {
    if (!props?.node)
      throw new Error(`cannot read service ${id}: its node is unknown (no prior state)`);
    const spec = serviceSpecFrom(props, "state");
    const observed: ServiceSpec = {
      ...spec,
      components: { ...spec.components },
      componentEnv: { ...spec.componentEnv },
      componentSecretFiles: { ...spec.componentSecretFiles },
    };
    const status: Record<string, ComponentStatus> = {};
    const recorded = (props.status ?? {}) as Record<string, Partial<ComponentStatus> | undefined>;
    await Promise.all(
      Object.keys(spec.components).map(async (name) => {
        const component = componentOf(spec, name);
        const runtime = await runtimeFor(component);
        const wanted = spec.active ? wantedBootUnit(component) : "none";
        const [found, bootUnit] = await Promise.all([
          runtime.observe(workloadName(component)),
          observedBootUnit(runtime.transport, component, wanted),
        ]);
        if (!found) return;
        const live = await observedHealth(runtime.transport, component, found);
        const { registry, drift } = await checkTag(component, live, runtime.transport);
        // What runs now, so a refresh surfaces drift as a diff against the inputs.
        const {
          node: _n,
          credentials: _c,
          service: _s,
          env,
          secretFiles,
          ...fields
        } = observedSpec(component, live, recorded[name]?.imageDigest, drift);
        observed.components[name] = { ...fields, bootUnit };
        observed.componentEnv[name] = env;
        setSecretFiles(observed, name, secretFiles);
        status[name] = statusOf(live, registry);
      }),
    );
    if (Object.keys(status).length === 0) return { id: "" };
    return { id, props: withoutUndefined(stateWith(observed, status)) };
  },

  async update(id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.UpdateResult> {
    return updateService(id, olds, news);
  },

  async delete(_id: string, props: Bag): Promise<void> {
    return locked(serviceSpecFrom(props, "state"), () => deleteService(props));
  },
};

export = serviceProvider;
