import type * as pulumi from "@pulumi/pulumi";
import serviceProviderModule from "../../provider/resources/service-provider";

type Bag = Record<string, unknown>;

/** Drives the Service provider in this process the way the engine would: check, then the call. */
export const serviceProvider = serviceProviderModule as Required<pulumi.dynamic.ResourceProvider>;

export async function checkedService(inputs: Bag): Promise<Bag> {
  const result = await serviceProvider.check({}, inputs);
  if (result.failures?.length) throw new Error(`check failed: ${JSON.stringify(result.failures)}`);
  return result.inputs as Bag;
}
