import type * as pulumi from "@pulumi/pulumi";
import componentProvider from "../../provider/resources/component-provider";

type Bag = Record<string, unknown>;

/** Drives the Component provider in this process the way the engine would: check, then the call. */
export const provider = componentProvider as Required<pulumi.dynamic.ResourceProvider>;

export async function checked(inputs: Bag): Promise<Bag> {
  const result = await provider.check({}, inputs);
  if (result.failures?.length) throw new Error(`check failed: ${JSON.stringify(result.failures)}`);
  return result.inputs as Bag;
}

export async function create(inputs: Bag): Promise<{ id: string; outs: Bag }> {
  const result = await provider.create(await checked(inputs));
  return { id: result.id, outs: result.outs as Bag };
}

export async function update(id: string, olds: Bag, inputs: Bag): Promise<Bag> {
  return (await provider.update(id, olds, await checked(inputs))).outs as Bag;
}
