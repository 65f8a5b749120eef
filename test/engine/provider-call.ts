// TEST ENGINE — not shipped. One call to the dynamic provider; a failure is recorded in `errors`
// and rethrown with the provider's own message, prefixed by the method and the resource's URN.

import { DynamicProviderError } from "../harness/provider-error";

export async function callProvider<T>(
  errors: string[],
  method: string,
  urn: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const text = providerFailure(errors, method, urn, message);
    // Keeps `initFailure` (a partial create or update) for the caller.
    if (error instanceof DynamicProviderError) {
      throw new DynamicProviderError(text, method, error.code, error.initFailure);
    }
    throw new Error(text);
  }
}

/** Records a provider failure (a thrown error, or check failures) and returns its text. */
export function providerFailure(errors: string[], method: string, urn: string, message: string) {
  const text = `${method} ${urn}: ${message}`;
  errors.push(text);
  return text;
}
