// TEST TOOL — not shipped. Environment for the node processes the harness starts: the test
// runner's own markers (VITEST*, PULUMI_*) do not leak into what should look like a CLI run.

export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("VITEST") || key.startsWith("PULUMI_")) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}
