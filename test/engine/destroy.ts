// TEST ENGINE — not shipped. `pulumi destroy` without the program: Delete(id, prior outputs) for
// every resource in state, dependents first, one at a time. A failed delete stops the run; what is left stays in state.

import { deleteOrder } from "./dependency-order";
import { plain } from "./property-values";
import { callProvider } from "./provider-call";
import type { ProviderSession } from "./provider-session";
import type { StackState } from "./state-file";
import type { ResourceStep } from "./types";
import { urnParts } from "./urn";

export async function destroyState(
  state: StackState,
  provider: ProviderSession,
  steps: ResourceStep[],
  errors: string[],
  checkpoint: (state: StackState) => void,
): Promise<StackState> {
  let resources = [...state.resources];
  for (const r of deleteOrder(state.resources)) {
    const s: ResourceStep = {
      urn: r.urn,
      ...urnParts(r.urn),
      custom: r.custom,
      op: "delete",
      changed: [],
      changes: [],
      outputChanges: [],
    };
    steps.push(s);
    if (r.custom && r.id) {
      const client = await provider.client();
      try {
        await callProvider(errors, "delete", r.urn, () =>
          client.delete(r.urn, r.id, plain(r.outputs)),
        );
      } catch (error) {
        s.error = error instanceof Error ? error.message : String(error);
        throw error;
      }
    }
    resources = resources.filter((x) => x !== r);
    checkpoint({ ...state, resources, outputs: resources.length > 0 ? state.outputs : {} });
  }
  return { ...state, resources, outputs: {} };
}
