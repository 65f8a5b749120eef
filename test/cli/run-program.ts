// TEST ONLY. One `pulumi preview|up|refresh|destroy` of a program directory through the REAL
// Pulumi CLI, in a process of its own (as `pulumi up` runs a program in a process of its own):
//
//   node -r ts-node/register/transpile-only test/cli/run-program.ts RESULT.json OP DIR STACK [OPTIONS-JSON]
//
// RESULT.json "-" prints the CLI's output as it comes instead and exits 1 when the command failed
// (npm run demo).
//
// The CLI's Node.js language host cannot be built here (test/cli/README.md), so the program runs
// through @pulumi/pulumi/automation: the CLI at $PULUMI_MCP_PULUMI_ROOT/bin/pulumi runs the
// command in DIR (its Pulumi.yaml, stack file and backend) and connects back (`--client`) to the
// SDK's language runtime server in this process, which loads the program the way the SDK's own
// entry does: Pulumi.yaml's `main` (default: the directory), its module exports as stack outputs,
// a default-exported function called. Writes what the CLI printed, its engine events and the
// stack outputs to RESULT.json, and exits 0 even when the command failed (RESULT.json says so).

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as automation from "@pulumi/pulumi/automation";

type Operation = "preview" | "up" | "refresh" | "destroy";

/** Flags of the CLI command, as the Automation API names them. */
export interface RunOptions {
  diff?: boolean;
  expectNoChanges?: boolean;
  refresh?: boolean;
  parallel?: number;
  target?: string[];
}

export interface RunResult {
  ok: boolean;
  /** The CLI's standard output, as a user reads it in the terminal. */
  stdout: string;
  stderr: string;
  /** The error the Automation API reported (the CLI's exit status and output). */
  error?: string;
  events: automation.EngineEvent[];
  outputs: Record<string, { value: unknown; secret: boolean }>;
  durationMs: number;
}

function mainOf(dir: string): string {
  const yaml = readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
  const main = /^main:\s*["']?([^"'\s#]+)/m.exec(yaml)?.[1];
  return path.resolve(dir, main ?? ".");
}

async function run(): Promise<void> {
  const [resultFile, operation, dir, stackName, optionsJson] = process.argv.slice(2);
  if (!resultFile || !operation || !dir || !stackName) {
    throw new Error("usage: run-program.ts RESULT.json OP DIR STACK [OPTIONS-JSON]");
  }
  const options = JSON.parse(optionsJson ?? "{}") as RunOptions;
  const root = process.env.PULUMI_MCP_PULUMI_ROOT;
  if (!root) throw new Error("PULUMI_MCP_PULUMI_ROOT is not set (test/cli/pulumi-cli.ts sets it)");
  // The program's own @pulumi/pulumi (the one its pulumi-mcp registers resources with).
  const programRequire = createRequire(path.join(dir, "package.json"));
  const auto = programRequire("@pulumi/pulumi/automation") as typeof automation;
  const entry = mainOf(dir);

  const program = async () => {
    const exported: unknown = programRequire(entry);
    const value =
      typeof exported === "function"
        ? await (exported as () => unknown)()
        : exported !== null &&
            typeof exported === "object" &&
            typeof (exported as { default?: unknown }).default === "function"
          ? await (exported as { default: () => unknown }).default()
          : exported;
    return value as Record<string, unknown>;
  };

  const pulumiCommand = await auto.PulumiCommand.get({ root });
  const workspace = await auto.LocalWorkspace.create({ workDir: dir, program, pulumiCommand });
  const stack = await auto.Stack.select(stackName, workspace);

  const echo = resultFile === "-";
  const events: automation.EngineEvent[] = [];
  let stdout = "";
  const common = {
    onOutput: (text: string) => {
      stdout += text;
      if (echo) process.stdout.write(text);
    },
    onEvent: (event: automation.EngineEvent) => {
      events.push(event);
    },
    color: "never" as const,
  };
  const started = Date.now();
  const result: RunResult = {
    ok: true,
    stdout: "",
    stderr: "",
    events,
    outputs: {},
    durationMs: 0,
  };
  try {
    switch (operation as Operation) {
      case "preview":
        await stack.preview({ ...common, ...options });
        break;
      case "up":
        await stack.up({ ...common, ...options });
        break;
      case "refresh":
        await stack.refresh({ ...common, ...options });
        break;
      case "destroy":
        await stack.destroy({ ...common, ...options });
        break;
      default:
        throw new Error(`unknown operation ${operation}`);
    }
    result.outputs = await stack.outputs();
  } catch (error) {
    result.ok = false;
    const e = error as { message?: string; commandResult?: { stderr?: string; stdout?: string } };
    result.error = e.message ?? String(error);
    result.stderr = e.commandResult?.stderr ?? "";
  }
  result.stdout = stdout;
  result.durationMs = Date.now() - started;
  if (!echo) writeFileSync(resultFile, JSON.stringify(result));
  else if (!result.ok) {
    process.stderr.write(`${result.error}\n`);
    process.exitCode = 1;
  }
}

run().then(
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`run-program: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  },
);
