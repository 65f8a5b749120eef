// TEST ENGINE — not shipped. `runPulumi`: one `pulumi preview|up|refresh|destroy` against a
// state file, without the Pulumi CLI. preview and up run the program in its own node process
// (program-process.ts) against our ResourceMonitor (resource-monitor.ts) and execute dynamic
// resources in one shared dynamic-provider process (provider-session.ts); refresh and destroy work
// from the state alone, as the CLI does. See test/engine/README.md for what is not covered.

import { Deployment } from "./deployment";
import { destroyState } from "./destroy";
import { type ProgramExit, runProgram } from "./program-process";
import { programLocation } from "./project-file";
import { displayValue } from "./property-values";
import { type ProviderSession, providerSession } from "./provider-session";
import { refreshState } from "./refresh";
import { startResourceMonitor } from "./resource-monitor";
import { configureArgs, type StackConfig, stackConfig } from "./stack-config";
import { loadState, type StackState, saveState } from "./state-file";
import { EngineRunError, type ResourceStep, type RunPulumiOptions, type RunSummary } from "./types";

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

interface RunContext {
  options: RunPulumiOptions;
  config: StackConfig;
  session: ProviderSession;
  steps: ResourceStep[];
  errors: string[];
  checkpoint(state: StackState): void;
  program?: ProgramExit;
  /** The state at the end (for preview: the planned stack outputs). */
  final: StackState;
}

export async function runPulumi(options: RunPulumiOptions): Promise<RunSummary> {
  const started = Date.now();
  const { programDir, project, stack, stateFile, operation } = options;
  const old = loadState(stateFile, project, stack);
  const config = stackConfig(project, options.config, options.secretKeys);
  // `main:` in Pulumi.yaml moves the program's and the providers' working directory, as in the CLI.
  const location = programLocation(programDir);
  const session = providerSession({
    programDir: location.pwd,
    project,
    stack,
    config: configureArgs(config),
    env: { ...options.env, ...options.providerEnv },
  });
  const ctx: RunContext = {
    options,
    config,
    session,
    steps: [],
    errors: [],
    checkpoint: (state) => saveState(stateFile, state),
    final: old,
  };
  let failure: unknown;
  try {
    if (operation === "refresh") {
      ctx.final = await refreshState(old, session, ctx.steps, ctx.errors, ctx.checkpoint);
    } else if (operation === "destroy") {
      ctx.final = await destroyState(old, session, ctx.steps, ctx.errors, ctx.checkpoint);
    } else {
      await deploy(ctx, old);
    }
  } catch (error) {
    failure = error;
  } finally {
    await session.close();
  }
  const summary: RunSummary = {
    operation,
    project,
    stack,
    resources: ctx.steps,
    outputs: displayValue(ctx.final.outputs) as Record<string, unknown>,
    stdout: ctx.program?.stdout ?? "",
    stderr: ctx.program?.stderr ?? "",
    providerStdout: session.stdout(),
    providerStderr: session.stderr(),
    durationMs: Date.now() - started,
  };
  if (failure !== undefined) {
    throw new EngineRunError(failureMessage(ctx, failure), summary, ctx.errors);
  }
  return summary;
}

async function deploy(ctx: RunContext, old: StackState): Promise<void> {
  const { options, config } = ctx;
  const preview = options.operation === "preview";
  const deployment = new Deployment({
    old,
    preview,
    provider: ctx.session,
    checkpoint: ctx.checkpoint,
  });
  ctx.steps = deployment.steps;
  ctx.errors = deployment.providerErrors;
  const monitor = await startResourceMonitor({
    register: (registration) => deployment.register(registration),
    registerOutputs: (urn, outputs) => deployment.registerOutputs(urn, outputs),
    // Deletes wait for the process to have exited with 0, which a clean exit implies.
    shutdown: () => undefined,
  });
  try {
    const location = programLocation(options.programDir);
    ctx.program = await runProgram({
      programDir: location.rootDir,
      pwd: location.pwd,
      entry: location.entry,
      project: options.project,
      stack: options.stack,
      monitorAddress: monitor.address,
      dryRun: preview,
      config: config.values,
      secretKeys: config.secretKeys,
      typescript: options.typescript ?? true,
      env: options.env ?? {},
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  } finally {
    await monitor.close();
    ctx.final = deployment.snapshot();
  }
  const exit = ctx.program;
  if (exit.timedOut) {
    throw new Error(
      `the program did not finish within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS}ms`,
    );
  }
  if (exit.code !== 0) {
    throw new Error(`the program exited with ${exit.code ?? exit.signal}`);
  }
  await deployment.finish();
  ctx.final = deployment.snapshot();
}

/** The provider's messages first (they say what went wrong), then the program's stderr. */
function failureMessage(ctx: RunContext, failure: unknown): string {
  const lines = [`${ctx.options.operation} failed`];
  lines.push(...ctx.errors);
  const own = failure instanceof Error ? failure.message : String(failure);
  if (!ctx.errors.some((e) => own.includes(e))) lines.push(own);
  const stderr = ctx.program?.stderr.trim();
  if (stderr) lines.push("program stderr (last lines):", ...stderr.split("\n").slice(-30));
  return lines.join("\n");
}
