// TEST ENGINE — not shipped. Runs real Pulumi programs without the Pulumi CLI, for tests and the
// README's main job. See test/engine/README.md (and /work/shared/ENGINE-HARNESS.md) for what it
// does and, above all, what it does not cover.

export { formatChange, formatPreview } from "./format-preview";
export {
  PROGRAMS_DIR,
  type PreparedProgram,
  type PrepareProgramOptions,
  prepareProgram,
  readProjectName,
} from "./prepare-program";
export { runPulumi } from "./run-pulumi";
export { keyFileFor } from "./secret-box";
export { loadState, type StackState, type StateResource } from "./state-file";
export {
  type ConfigValue,
  EngineRunError,
  type Operation,
  type PropertyChange,
  type ResourceStep,
  type RunPulumiOptions,
  type RunSummary,
  type StepOp,
} from "./types";
