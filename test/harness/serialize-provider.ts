// TEST TOOL — not shipped. Produces the `__provider` text @pulumi/pulumi's dynamic Resource
// would store for a provider, by running serialize-provider-cli.js in its own plain node process
// (under vitest the serialised text differs from a real run: see /work/shared/ENGINE-HARNESS.md).

import { execFile } from "node:child_process";
import * as path from "node:path";
import { childEnv } from "./child-env";

export interface SerializeProviderOptions {
  /** Program directory: the module and @pulumi/pulumi are resolved from here, as in `pulumi up`. */
  cwd: string;
  /** Package name (`"pkg"`, `"pkg/dist/x.js"`) or a path starting with "." or "/". */
  modulePath: string;
  /** Export holding the provider; omitted = the module's `module.exports` itself. */
  exportName?: string;
  /**
   * "dynamicResource" (default): a real `pulumi.dynamic.Resource` under setMocks, reporting the
   * `__provider` input it registers. "serializeFunction": the SDK's closure serialiser called the
   * way dynamic/index.js calls it. Both give the same text for @pulumi/pulumi 3.270.0.
   */
  via?: "dynamicResource" | "serializeFunction";
  timeoutMs?: number;
}

export const SERIALIZE_PROVIDER_CLI = path.join(__dirname, "serialize-provider-cli.js");

export async function serializeProviderInProcess(
  options: SerializeProviderOptions,
): Promise<string> {
  const args = [SERIALIZE_PROVIDER_CLI, options.modulePath];
  if (options.exportName !== undefined) args.push(options.exportName);
  args.push(`--via=${options.via ?? "dynamicResource"}`);
  const { stdout } = await run(args, options.cwd, options.timeoutMs ?? 60_000);
  return parseText(stdout);
}

function run(args: string[], cwd: string, timeout: number): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: childEnv(), timeout, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? `timed out after ${timeout}ms` : `exited with ${error.code}`;
          reject(new Error(`serialize-provider-cli ${why} in ${cwd}:\n${stderr}`));
        } else {
          resolve({ stdout });
        }
      },
    );
  });
}

function parseText(stdout: string): string {
  const parsed: unknown = JSON.parse(stdout);
  if (typeof parsed === "object" && parsed !== null && "text" in parsed) {
    const { text } = parsed;
    if (typeof text === "string") return text;
  }
  throw new Error(`serialize-provider-cli printed no text: ${stdout}`);
}
