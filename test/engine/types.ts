// TEST ENGINE — not shipped. The test engine's public types: what runPulumi takes and returns.

import type { PropertyChange } from "./property-diff";

export type { PropertyChange };

export type Operation = "preview" | "up" | "refresh" | "destroy";

export type StepOp = "create" | "update" | "replace" | "delete" | "same" | "read";

/** A config value; `{ secret }` marks it secret (like `pulumi config set --secret`). */
export type ConfigValue = string | number | boolean | { secret: string };

export interface RunPulumiOptions {
  /** The program directory (Pulumi.yaml, package.json, index.ts, node_modules/pulumi-mcp). */
  programDir: string;
  project: string;
  stack: string;
  /** Stack config. Keys without a namespace get the project's: "host" -> "<project>:host". */
  config?: Record<string, ConfigValue>;
  /** More secret keys (same spelling as in `config`), besides values given as `{ secret }`. */
  secretKeys?: string[];
  /** The state file (JSON); its AES key is kept beside it in `<stateFile>.key`. */
  stateFile: string;
  operation: Operation;
  /** Extra environment for the program and the dynamic-provider process. */
  env?: Record<string, string>;
  /** Extra environment for the dynamic-provider process only (e.g. PULUMI_MCP_TRACE, NODE_OPTIONS). */
  providerEnv?: Record<string, string>;
  /** TypeScript program (PULUMI_NODEJS_TYPESCRIPT=true); true by default. */
  typescript?: boolean;
  /** Whole run; 5 minutes by default. */
  timeoutMs?: number;
}

export interface ResourceStep {
  urn: string;
  type: string;
  name: string;
  /** Component resources (the stack itself) get steps but no provider calls. */
  custom: boolean;
  op: StepOp;
  /** Names of the inputs that differ (or, for "read", of the outputs that changed). */
  changed: string[];
  /** Old -> new inputs (secrets masked). For "read": old -> new outputs. */
  changes: PropertyChange[];
  /** Old -> new outputs after an update, replace or read (not in preview). */
  outputChanges: PropertyChange[];
  /** Inputs the provider said force a replacement. */
  replaces?: string[];
  deleteBeforeReplace?: boolean;
  /** Set when this step failed; the provider's message. */
  error?: string;
}

export interface RunSummary {
  operation: Operation;
  project: string;
  stack: string;
  /** In the order the steps completed. */
  resources: ResourceStep[];
  /** Stack outputs: secrets shown as "[secret]", preview unknowns as "[unknown]". */
  outputs: Record<string, unknown>;
  /** The program's own output (empty for refresh and destroy, which do not run it). */
  stdout: string;
  stderr: string;
  /** What the dynamic-provider process printed (the provider's console output, traces). */
  providerStdout: string;
  providerStderr: string;
  durationMs: number;
}

/** A failed run: the provider's (or program's) message, with what happened up to the failure. */
export class EngineRunError extends Error {
  override readonly name = "EngineRunError";

  constructor(
    message: string,
    readonly summary: RunSummary,
    /** Messages of the provider calls that failed. */
    readonly providerErrors: string[],
  ) {
    super(message);
  }
}
