// TEST ENGINE — not shipped. A run summary printed close to the CLI's `pulumi preview --diff`:
//    ~ pulumi-nodejs:dynamic/mcp:Component hello-web update [diff: ~image]
//        ~ image: "…:v1.0.0" => "…:v2.0.0"
// This is our approximation, not the CLI's renderer (no tree, no columns, no nested diffs).

import type { PropertyChange } from "./property-diff";
import type { ResourceStep, RunSummary, StepOp } from "./types";

const SYMBOL: Record<StepOp, string> = {
  create: "+",
  update: "~",
  replace: "+-",
  delete: "-",
  same: " ",
  read: "~",
};

const PAST: Record<StepOp, string> = {
  create: "created",
  update: "updated",
  replace: "replaced",
  delete: "deleted",
  same: "unchanged",
  read: "read",
};

const HEADING: Record<RunSummary["operation"], string> = {
  preview: "Previewing update",
  up: "Updating",
  refresh: "Refreshing",
  destroy: "Destroying",
};

export function formatPreview(summary: RunSummary): string {
  const planned = summary.operation === "preview";
  const lines = [`${HEADING[summary.operation]} (${summary.project}/${summary.stack})`, ""];
  for (const step of summary.resources) lines.push(...formatStep(step, planned));
  const outputs = Object.entries(summary.outputs);
  if (outputs.length > 0) {
    lines.push("", "Outputs:");
    for (const [name, value] of outputs) lines.push(`    ${name}: ${show(value)}`);
  }
  lines.push("", "Resources:", ...counts(summary.resources, planned));
  return `${lines.join("\n")}\n`;
}

function formatStep(step: ResourceStep, planned: boolean): string[] {
  const verb = planned ? step.op : PAST[step.op];
  const info = step.op === "same" || step.op === "create" ? "" : diffInfo(step);
  const head = ` ${SYMBOL[step.op]} ${step.type} ${step.name} ${verb}${info}`.trimEnd();
  const lines = [head];
  if (step.error) lines.push(`      error: ${step.error}`);
  if (step.op === "same" || step.op === "delete" || step.op === "create") return lines;
  const shown = new Set(step.changes.map((c) => c.name));
  for (const change of step.changes) lines.push(`      ${formatChange(change)}`);
  for (const change of step.outputChanges) {
    if (!shown.has(change.name)) lines.push(`      ${formatChange(change)}  (output)`);
  }
  return lines;
}

function diffInfo(step: ResourceStep): string {
  if (step.changes.length === 0) return "";
  const marks = step.changes.map(
    (c) => `${c.kind === "add" ? "+" : c.kind === "delete" ? "-" : "~"}${c.name}`,
  );
  const replaces = step.replaces?.length ? ` [replace: ${step.replaces.join(", ")}]` : "";
  return ` [diff: ${marks.join(", ")}]${replaces}`;
}

export function formatChange(change: PropertyChange): string {
  if (change.kind === "add") return `+ ${change.name}: ${show(change.new)}`;
  if (change.kind === "delete") return `- ${change.name}: ${show(change.old)}`;
  return `~ ${change.name}: ${show(change.old)} => ${show(change.new)}`;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? "undefined";
}

function counts(steps: ResourceStep[], planned: boolean): string[] {
  const tally = new Map<StepOp, number>();
  for (const step of steps) tally.set(step.op, (tally.get(step.op) ?? 0) + 1);
  const lines: string[] = [];
  for (const op of ["create", "update", "replace", "delete", "read"] as const) {
    const n = tally.get(op);
    if (n) lines.push(`    ${SYMBOL[op]} ${n} ${planned ? `to ${op}` : PAST[op]}`);
  }
  const same = tally.get("same");
  if (same) lines.push(`    ${same} unchanged`);
  return lines;
}
