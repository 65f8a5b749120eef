import type * as Work from "../runtime/node-work";

/**
 * runtime/node-work, loaded on the first call that needs it. A run that only
 * checks and diffs (a no-change preview or up) never loads the runtime, the
 * transport or ssh2: not in the program's process (which loads the providers
 * to serialise them), not in the provider's.
 */
let loaded: Promise<typeof Work> | undefined;
function work(): Promise<typeof Work> {
  loaded ??= import("../runtime/node-work.js");
  return loaded;
}

export const runtimeFor = async (
  ...args: Parameters<typeof Work.runtimeFor>
): Promise<ReturnType<typeof Work.runtimeFor>> => (await work()).runtimeFor(...args);
export const applyChange: typeof Work.applyChange = async (...args) =>
  (await work()).applyChange(...args);
export const observedBootUnit: typeof Work.observedBootUnit = async (...args) =>
  (await work()).observedBootUnit(...args);
export const createWorkload: typeof Work.createWorkload = async (...args) =>
  (await work()).createWorkload(...args);
export const removeWorkload: typeof Work.removeWorkload = async (...args) =>
  (await work()).removeWorkload(...args);
export const observedHealth: typeof Work.observedHealth = async (...args) =>
  (await work()).observedHealth(...args);
export const withNodeLock: typeof Work.withNodeLock = async (...args) =>
  (await work()).withNodeLock(...args);
export const tagInRegistry: typeof Work.tagInRegistry = async (...args) =>
  (await work()).tagInRegistry(...args);
