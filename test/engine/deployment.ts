// TEST ENGINE — not shipped. What the engine does for each registration during `preview` and
// `up`: check (olds = prior inputs), diff (olds = prior outputs), then create / update / replace /
// same; and, once the program exited cleanly, delete what it no longer declares (and the old
// halves of create-first replacements) in reverse dependency order. Preview stops after diff.
// Steps run as registrations arrive (concurrently); after one fails, later ones are refused.

import type { DiffResult, DynamicProviderClient } from "../harness/dynamic-provider-process";
import { DynamicProviderError } from "../harness/provider-error";
import { deleteOrder } from "./dependency-order";
import { diffProperties, type PropertyChange } from "./property-diff";
import { markSecrets, type PropertyMap, plain } from "./property-values";
import { callProvider, providerFailure } from "./provider-call";
import type { ProviderSession } from "./provider-session";
import type { Registration, RegistrationResult } from "./resource-monitor";
import type { StackState, StateResource } from "./state-file";
import type { ResourceStep, StepOp } from "./types";
import { makeUrn, STACK_TYPE } from "./urn";

export interface DeploymentOptions {
  old: StackState;
  preview: boolean;
  provider: ProviderSession;
  /** Called with the whole new state after every change (never in preview). */
  checkpoint(state: StackState): void;
}

type Planned = "same" | "update" | "replace";

export class Deployment {
  readonly steps: ResourceStep[] = [];
  readonly providerErrors: string[] = [];
  private readonly oldByUrn = new Map<string, StateResource>();
  /** New state entries, in the order their steps completed (dependencies first). */
  private readonly registered = new Map<string, StateResource>();
  private readonly seen = new Set<string>();
  private readonly gone = new Set<StateResource>();
  private readonly replacedOlds = new Set<StateResource>();
  private stackUrn = "";
  private stackOutputs: PropertyMap;
  private failed = false;

  constructor(private readonly options: DeploymentOptions) {
    for (const r of options.old.resources) if (!r.pendingDelete) this.oldByUrn.set(r.urn, r);
    this.stackOutputs = options.old.outputs;
  }

  async register(reg: Registration): Promise<RegistrationResult> {
    const { project, stack } = this.options.old;
    const urn = makeUrn(project, stack, reg.type, reg.name, reg.parent);
    const unsupported = Object.keys(reg.unsupported);
    if (unsupported.length > 0) {
      this.failed = true;
      throw new Error(`${urn}: the test engine does not implement ${unsupported.join(", ")}`);
    }
    if (this.failed) throw new Error(`${urn}: not run, an earlier step failed`);
    if (this.seen.has(urn)) throw new Error(`${urn}: registered twice (duplicate URN)`);
    this.seen.add(urn);
    if (reg.type === STACK_TYPE) this.stackUrn = urn;
    const dependencies = [...new Set([reg.parent, ...reg.dependencies].filter(Boolean))];
    const base: StateResource = {
      urn,
      type: reg.type,
      custom: reg.custom,
      id: "",
      dependencies,
      inputs: reg.inputs,
      outputs: {},
    };
    if (reg.parent) base.parent = reg.parent;
    if (!reg.custom) return this.component(base);
    if (reg.additionalSecretOutputs.length > 0) {
      base.additionalSecretOutputs = reg.additionalSecretOutputs;
    }
    try {
      return await this.custom(base, reg);
    } catch (error) {
      this.failed = true;
      throw error;
    }
  }

  registerOutputs(urn: string, outputs: PropertyMap): void {
    if (urn === this.stackUrn) this.stackOutputs = outputs;
    const entry = this.registered.get(urn);
    if (entry && !entry.custom) entry.outputs = outputs;
    this.checkpoint();
  }

  /** After a clean exit: delete what is no longer declared, dependents first. */
  async finish(): Promise<void> {
    for (const r of deleteOrder(this.options.old.resources)) {
      const undeclared = !r.pendingDelete && !this.seen.has(r.urn);
      if (!undeclared && !r.pendingDelete && !this.replacedOlds.has(r)) continue;
      if (this.gone.has(r)) continue;
      if (undeclared) this.steps.push(step(r, "delete", []));
      if (this.options.preview) continue;
      if (r.custom && r.id) {
        const client = await this.options.provider.client();
        await this.call("delete", r.urn, () => client.delete(r.urn, r.id, plain(r.outputs)));
      }
      this.gone.add(r);
      this.checkpoint();
    }
  }

  snapshot(): StackState {
    const resources = [...this.registered.values()];
    for (const r of this.options.old.resources) {
      if (this.gone.has(r)) continue;
      const replaced = this.replacedOlds.has(r) && this.registered.has(r.urn);
      if (r.pendingDelete || replaced) resources.push({ ...r, pendingDelete: true });
      else if (!this.registered.has(r.urn)) resources.push(r);
    }
    const { project, stack } = this.options.old;
    return { project, stack, resources, outputs: this.stackOutputs };
  }

  private component(base: StateResource): RegistrationResult {
    const old = this.oldByUrn.get(base.urn);
    this.steps.push(step(base, old ? "same" : "create", []));
    this.registered.set(base.urn, { ...base, outputs: old?.outputs ?? {} });
    this.checkpoint();
    return { urn: base.urn, id: "", outputs: {} };
  }

  private async custom(base: StateResource, reg: Registration): Promise<RegistrationResult> {
    const { urn } = base;
    const old = this.oldByUrn.get(urn);
    const client = await this.options.provider.client();
    const checked = await this.call("check", urn, () =>
      client.check(urn, old ? plain(old.inputs) : {}, plain(reg.inputs)),
    );
    if (checked.failures.length > 0) {
      const reasons = checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
      throw new Error(providerFailure(this.providerErrors, "check", urn, reasons));
    }
    const inputs = markSecrets(checked.inputs, reg.inputs);
    const entry: StateResource = { ...base, inputs };
    const aso = reg.additionalSecretOutputs;
    if (!old) {
      const created = this.stepFor(entry, "create", diffProperties({}, inputs));
      if (this.options.preview) return this.planned(entry, "", aso);
      return this.create(client, entry, aso, created);
    }
    const diff = await this.call("diff", urn, () =>
      client.diff(urn, old.id, plain(old.outputs), plain(inputs)),
    );
    const changes = displayedChanges(old, inputs, diff);
    const planned = plan(diff, changes, old);
    const s = this.stepFor(entry, planned, changes);
    if (planned === "replace") {
      s.replaces = diff.replaces;
      s.deleteBeforeReplace = diff.deleteBeforeReplace || reg.deleteBeforeReplace === true;
    }
    if (planned === "same") {
      this.registered.set(urn, { ...entry, id: old.id, outputs: old.outputs });
      this.checkpoint();
      return { urn, id: old.id, outputs: old.outputs };
    }
    if (this.options.preview) return this.planned(entry, planned === "update" ? old.id : "", aso);
    if (planned === "update") return this.update(client, old, entry, aso, s);
    if (s.deleteBeforeReplace) {
      await this.call("delete", urn, () => client.delete(urn, old.id, plain(old.outputs)));
      this.gone.add(old);
      this.checkpoint();
    } else {
      // Deleted once the program exited cleanly; pending-delete in state once the new one exists.
      this.replacedOlds.add(old);
    }
    const result = await this.create(client, entry, aso, s);
    s.outputChanges = diffProperties(old.outputs, result.outputs);
    return result;
  }

  private async create(
    client: DynamicProviderClient,
    entry: StateResource,
    aso: string[],
    s: ResourceStep,
  ): Promise<RegistrationResult> {
    try {
      const created = await this.call("create", entry.urn, () =>
        client.create(entry.urn, plain(entry.inputs)),
      );
      const outputs = markSecrets(created.properties, entry.inputs, aso);
      this.record({ ...entry, id: created.id, outputs });
      return { urn: entry.urn, id: created.id, outputs };
    } catch (error) {
      this.recordPartial(error, entry, aso, s);
      throw error;
    }
  }

  private async update(
    client: DynamicProviderClient,
    old: StateResource,
    entry: StateResource,
    aso: string[],
    s: ResourceStep,
  ): Promise<RegistrationResult> {
    try {
      const updated = await this.call("update", entry.urn, () =>
        client.update(entry.urn, old.id, plain(old.outputs), plain(entry.inputs)),
      );
      const outputs = markSecrets(updated.properties, entry.inputs, aso);
      s.outputChanges = diffProperties(old.outputs, outputs);
      this.record({ ...entry, id: old.id, outputs });
      return { urn: entry.urn, id: old.id, outputs };
    } catch (error) {
      if (!this.recordPartial(error, { ...entry, id: old.id }, aso, s)) this.record(old);
      throw error;
    }
  }

  /** A throw carrying `id` (ErrorResourceInitFailed): keep the half-made resource in state. */
  private recordPartial(error: unknown, entry: StateResource, aso: string[], s: ResourceStep) {
    const failure = error instanceof DynamicProviderError ? error.initFailure : undefined;
    if (!failure) return false;
    const outputs = markSecrets(failure.properties, entry.inputs, aso);
    s.outputChanges = [];
    this.record({ ...entry, id: failure.id, outputs, initErrors: failure.reasons });
    return true;
  }

  /** Preview: the planned outputs are the checked inputs; computed outputs stay unknown. */
  private planned(entry: StateResource, id: string, aso: string[] = []): RegistrationResult {
    return { urn: entry.urn, id, outputs: markSecrets(entry.inputs, entry.inputs, aso) };
  }

  private record(entry: StateResource): void {
    this.registered.set(entry.urn, entry);
    this.checkpoint();
  }

  private stepFor(entry: StateResource, op: StepOp, changes: PropertyChange[]): ResourceStep {
    const s = step(entry, op, changes);
    this.steps.push(s);
    return s;
  }

  private checkpoint(): void {
    if (!this.options.preview) this.options.checkpoint(this.snapshot());
  }

  private call<T>(method: string, urn: string, work: () => Promise<T>): Promise<T> {
    return callProvider(this.providerErrors, method, urn, work).catch((error: unknown) => {
      const s = [...this.steps].reverse().find((x) => x.urn === urn);
      if (s) s.error = error instanceof Error ? error.message : String(error);
      throw error;
    });
  }
}

function plan(diff: DiffResult, changes: PropertyChange[], old: StateResource): Planned {
  const some = diff.changes === "DIFF_SOME" || (diff.changes === "DIFF_UNKNOWN" && changes.length);
  if (some && diff.replaces.length > 0) return "replace";
  if (some || (old.initErrors?.length ?? 0) > 0) return "update";
  return "same";
}

/**
 * Input differences, as the CLI displays a diff without a detailed diff; when the inputs are
 * equal but the provider still reports changes (drift picked up by a refresh), the prior outputs
 * against the new inputs.
 */
function displayedChanges(old: StateResource, inputs: PropertyMap, diff: DiffResult) {
  const changes = diffProperties(old.inputs, inputs);
  if (changes.length > 0 || diff.changes !== "DIFF_SOME") return changes;
  const priorOutputs = Object.fromEntries(Object.keys(inputs).map((k) => [k, old.outputs[k]]));
  return diffProperties(priorOutputs, inputs);
}

function step(r: StateResource, op: StepOp, changes: PropertyChange[]): ResourceStep {
  const parts = r.urn.split("::");
  return {
    urn: r.urn,
    type: r.type,
    name: parts.slice(3).join("::"),
    custom: r.custom,
    op,
    changed: changes.map((c) => c.name),
    changes,
    outputChanges: [],
  };
}
