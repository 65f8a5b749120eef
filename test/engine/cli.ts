// TEST ENGINE — not shipped. Command line for the test engine (no Pulumi CLI needed):
//
//   npx ts-node --transpile-only test/engine/cli.ts up|preview|refresh|destroy \
//     (--program DIR | --example examples/basic) --stack dev \
//     [--config-file F] [--config k=v]... [--secret k=v]... [--test-node] [--state F] [--no-build]
//
// --example copies the example to .test-nodes/programs/<name> and installs pulumi-mcp from
// `npm pack` (prepare-program.ts). --test-node fills host, port, user, hostKey, sshKey (secret)
// and image (v1) from .test-nodes/env.json (written by `bash test/fixtures/nodes.sh up`).
// Pulumi.<stack>.yaml in the program dir is read like the CLI does (stack-file.ts).
// --config-file is JSON: { "key": "value" | 1 | true | { "secret": "…" } | { "secretFile": "path" } }.
// State: --state, else <program>/.pulumi-test-engine/<stack>.json (AES key beside it).

import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../harness/program-dir";
import { loadTestNodes, testNodeConfig } from "../integration/test-nodes";
import { formatPreview } from "./format-preview";
import { prepareProgram, readProjectName } from "./prepare-program";
import { runPulumi } from "./run-pulumi";
import { loadStackConfig, stackFilePath } from "./stack-file";
import { type ConfigValue, EngineRunError, type Operation } from "./types";

const OPERATIONS: readonly Operation[] = ["preview", "up", "refresh", "destroy"];

interface CliArgs {
  operation: Operation;
  flags: Map<string, string[]>;
}

function parseArgs(argv: string[]): CliArgs {
  const [operation, ...rest] = argv;
  if (!OPERATIONS.includes(operation as Operation)) usage(`unknown operation ${operation ?? ""}`);
  const flags = new Map<string, string[]>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? "";
    if (!arg.startsWith("--")) usage(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const boolean = name === "test-node" || name === "no-build";
    const value = boolean ? "true" : (inline ?? rest[++i]);
    if (value === undefined) usage(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { operation: operation as Operation, flags };
}

function usage(problem: string): never {
  process.stderr.write(
    `${problem}\nusage: cli.ts up|preview|refresh|destroy (--program DIR | --example DIR) --stack S ` +
      "[--config-file F] [--config k=v] [--secret k=v] [--test-node] [--state F] [--no-build]\n",
  );
  process.exit(2);
}

function one(flags: Map<string, string[]>, name: string): string | undefined {
  return flags.get(name)?.at(-1);
}

function testNodeStackConfig(): Record<string, ConfigValue> {
  const file = path.join(REPO_ROOT, ".test-nodes", "env.json");
  if (!existsSync(file)) usage(`--test-node needs ${file}: run \`bash test/fixtures/nodes.sh up\``);
  const nodes = loadTestNodes();
  return { ...testNodeConfig(nodes), image: nodes.images.v1 };
}

function configFile(file: string): Record<string, ConfigValue> {
  const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const config: Record<string, ConfigValue> = {};
  for (const [key, value] of Object.entries(json)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      config[key] = value;
    } else if (value && typeof value === "object" && "secret" in value) {
      config[key] = { secret: String(value.secret) };
    } else if (value && typeof value === "object" && "secretFile" in value) {
      const secretFile = path.resolve(path.dirname(file), String(value.secretFile));
      config[key] = { secret: readFileSync(secretFile, "utf8") };
    } else {
      usage(`${file}: config ${key} must be a string, number, boolean, {secret} or {secretFile}`);
    }
  }
  return config;
}

function pairs(values: string[] | undefined, secret: boolean): Record<string, ConfigValue> {
  const config: Record<string, ConfigValue> = {};
  for (const pair of values ?? []) {
    const at = pair.indexOf("=");
    if (at < 1) usage(`expected key=value, got ${pair}`);
    const value = pair.slice(at + 1);
    config[pair.slice(0, at)] = secret ? { secret: value } : value;
  }
  return config;
}

async function main(): Promise<void> {
  const { operation, flags } = parseArgs(process.argv.slice(2));
  const stack = one(flags, "stack") ?? usage("--stack is required");
  const example = one(flags, "example");
  const programDir = example
    ? prepareProgram({ example, build: one(flags, "no-build") === undefined }).dir
    : path.resolve(one(flags, "program") ?? usage("--program or --example is required"));
  if (!existsSync(path.join(programDir, "node_modules", "pulumi-mcp"))) {
    usage(`${programDir} has no node_modules/pulumi-mcp: prepare it with --example`);
  }
  const configPath = one(flags, "config-file");
  const stackFile = stackFilePath(programDir, stack);
  const config = {
    ...(one(flags, "test-node") ? testNodeStackConfig() : {}),
    // Like the CLI: the stack's Pulumi.<stack>.yaml (secure: values need PULUMI_CONFIG_PASSPHRASE).
    ...(existsSync(stackFile) ? loadStackConfig(programDir, stack) : {}),
    ...(configPath ? configFile(path.resolve(configPath)) : {}),
    ...pairs(flags.get("config"), false),
    ...pairs(flags.get("secret"), true),
  };
  const stateFile = path.resolve(
    one(flags, "state") ?? path.join(programDir, ".pulumi-test-engine", `${stack}.json`),
  );
  process.stderr.write(
    `[test engine] ${operation} ${programDir} (stack ${stack}, state ${stateFile}) — not the Pulumi CLI\n`,
  );
  try {
    const summary = await runPulumi({
      programDir,
      project: readProjectName(programDir),
      stack,
      config,
      stateFile,
      operation,
    });
    process.stdout.write(summary.stdout);
    process.stdout.write(formatPreview(summary));
    process.stderr.write(`[test engine] done in ${(summary.durationMs / 1000).toFixed(1)}s\n`);
  } catch (error) {
    if (error instanceof EngineRunError) {
      process.stdout.write(formatPreview(error.summary));
      const providerLog = error.summary.providerStderr.trim().split("\n").slice(-20).join("\n");
      if (providerLog) process.stderr.write(`provider stderr (last lines):\n${providerLog}\n`);
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

void main();
