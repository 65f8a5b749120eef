/** The error a promise rejects with; fails the test when it resolves instead. */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
}
