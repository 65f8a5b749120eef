// TEST ENGINE — not shipped. The stack's state as one JSON file. This is the test engine's own
// format, not Pulumi's checkpoint format. Secret values are encrypted (secret-box.ts) before
// anything is written; the file is replaced atomically (write to a temp file, then rename).

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { PropertyMap } from "./property-values";
import { type SecretBox, secretBoxFor } from "./secret-box";

export interface StateResource {
  urn: string;
  type: string;
  /** false for component resources (the stack itself, `pulumi.ComponentResource`s). */
  custom: boolean;
  /** The provider's id; "" for components. */
  id: string;
  parent?: string;
  /** URNs this resource depends on (its parent included). */
  dependencies: string[];
  /** Checked inputs, secrets still wrapped. */
  inputs: PropertyMap;
  /** Outputs, secrets re-marked as the engine does. */
  outputs: PropertyMap;
  additionalSecretOutputs?: string[];
  /** A partial create or update: the provider's reasons. The next `up` updates it. */
  initErrors?: string[];
  /** The old half of a create-first replacement, waiting to be deleted. */
  pendingDelete?: boolean;
}

export interface StackState {
  project: string;
  stack: string;
  /** In dependency order: everything a resource depends on comes before it. */
  resources: StateResource[];
  /** Stack outputs (the program's exports), secrets wrapped. */
  outputs: PropertyMap;
}

interface StateFileJson extends StackState {
  version: 1;
  engine: string;
  secrets: string;
}

export function emptyState(project: string, stack: string): StackState {
  return { project, stack, resources: [], outputs: {} };
}

export function loadState(stateFile: string, project: string, stack: string): StackState {
  if (!existsSync(stateFile)) return emptyState(project, stack);
  const box = secretBoxFor(stateFile, false);
  const json = JSON.parse(readFileSync(stateFile, "utf8")) as StateFileJson;
  if (json.version !== 1) throw new Error(`${stateFile}: unknown state version ${json.version}`);
  if (json.project !== project || json.stack !== stack) {
    throw new Error(
      `${stateFile} holds ${json.project}/${json.stack}, not ${project}/${stack}: use another state file`,
    );
  }
  return {
    project,
    stack,
    resources: json.resources.map((r) => openResource(box, r)),
    outputs: box.open(json.outputs) as PropertyMap,
  };
}

export function saveState(stateFile: string, state: StackState): void {
  mkdirSync(path.dirname(stateFile), { recursive: true });
  const box = secretBoxFor(stateFile, true);
  const json: StateFileJson = {
    version: 1,
    engine: "pulumi-mcp TEST ENGINE (test/engine): not the Pulumi CLI, not its checkpoint format",
    secrets: "AES-256-GCM per value; key in the .key file beside this one",
    project: state.project,
    stack: state.stack,
    resources: state.resources.map((r) => sealResource(box, r)),
    outputs: box.seal(state.outputs) as PropertyMap,
  };
  const temp = `${stateFile}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, stateFile);
}

function sealResource(box: SecretBox, r: StateResource): StateResource {
  return {
    ...r,
    inputs: box.seal(r.inputs) as PropertyMap,
    outputs: box.seal(r.outputs) as PropertyMap,
  };
}

function openResource(box: SecretBox, r: StateResource): StateResource {
  return {
    ...r,
    inputs: box.open(r.inputs) as PropertyMap,
    outputs: box.open(r.outputs) as PropertyMap,
  };
}
