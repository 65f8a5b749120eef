// TEST ENGINE — not shipped. One dynamic-provider process per run, shared by every resource
// (registrations arrive concurrently), started on first use with cwd = the program directory and
// configured with the stack config, like the engine's default `pulumi-nodejs` provider.

import {
  type DynamicProviderClient,
  startDynamicProvider,
} from "../harness/dynamic-provider-process";
import type { PropertyMap } from "./property-values";

export interface ProviderSessionOptions {
  programDir: string;
  project: string;
  stack: string;
  /** Namespaced stack config, secrets wrapped: sent as Configure's args. */
  config: PropertyMap;
  env: Record<string, string>;
}

export interface ProviderSession {
  /** Starts the process on first call. */
  client(): Promise<DynamicProviderClient>;
  stdout(): string;
  stderr(): string;
  /** Ends the process (by its pid) if it was started. */
  close(): Promise<void>;
}

export function providerSession(options: ProviderSessionOptions): ProviderSession {
  let started: Promise<DynamicProviderClient> | undefined;
  let running: DynamicProviderClient | undefined;
  return {
    client() {
      started ??= startDynamicProvider({
        cwd: options.programDir,
        // Every property bag the engine sends carries the resource's own `__provider`; this
        // fallback only matters for an empty bag, which the engine never sends with a provider.
        provider: "",
        config: options.config,
        env: {
          ...options.env,
          PULUMI_NODEJS_PROJECT: options.project,
          PULUMI_NODEJS_STACK: options.stack,
        },
      }).then((client) => {
        running = client;
        return client;
      });
      return started;
    },
    // The client keeps what the process printed after close() too.
    stdout: () => running?.stdout() ?? "",
    stderr: () => running?.stderr() ?? "",
    async close() {
      const client = await started?.catch(() => undefined);
      await client?.close();
    },
  };
}
