// TEST ENGINE — not shipped. `pulumi refresh` without the program: Read(id, prior outputs, prior
// inputs) for each resource in state. `id: ""` means the resource is gone: it leaves the state.
// Outputs are re-marked secret where the prior input or output of that name was secret.

import { diffProperties } from "./property-diff";
import { containsSecret, markSecrets, type PropertyMap, plain, secret } from "./property-values";
import { callProvider } from "./provider-call";
import type { ProviderSession } from "./provider-session";
import type { StackState, StateResource } from "./state-file";
import type { ResourceStep } from "./types";
import { urnParts } from "./urn";

export async function refreshState(
  state: StackState,
  provider: ProviderSession,
  steps: ResourceStep[],
  errors: string[],
  checkpoint: (state: StackState) => void,
): Promise<StackState> {
  let resources = [...state.resources];
  for (const r of state.resources) {
    if (!r.custom || !r.id) continue;
    const client = await provider.client();
    const read = await callProvider(errors, "read", r.urn, () =>
      client.read(r.urn, r.id, plain(r.outputs), plain(r.inputs)),
    );
    const base = { urn: r.urn, ...urnParts(r.urn), custom: true };
    if (read.id === "") {
      steps.push({ ...base, op: "delete", changed: [], changes: [], outputChanges: [] });
      resources = resources.filter((x) => x !== r);
    } else {
      const hints = secretHints(r);
      const outputs = markSecrets(read.properties, hints, r.additionalSecretOutputs);
      const inputs = read.inputs ? markSecrets(read.inputs, hints) : r.inputs;
      const changes = diffProperties(r.outputs, outputs);
      const changed = changes.map((c) => c.name);
      steps.push({ ...base, op: "read", changed, changes, outputChanges: changes });
      const next: StateResource = { ...r, id: read.id, inputs, outputs };
      resources = resources.map((x) => (x === r ? next : x));
    }
    checkpoint({ ...state, resources });
  }
  return { ...state, resources };
}

/** A map whose keys are secret exactly where the prior input or output of that name was. */
function secretHints(r: StateResource): PropertyMap {
  const keys = new Set([...Object.keys(r.inputs), ...Object.keys(r.outputs)]);
  return Object.fromEntries(
    [...keys].map((k) => [
      k,
      containsSecret(r.inputs[k]) || containsSecret(r.outputs[k]) ? secret(true) : true,
    ]),
  );
}
