/**
 * What the providers do on nodes, in one module so that they can load it
 * (and with it the runtime, transport and ssh2 layers) on first use only:
 * see resources/node-work.ts.
 */

export { applyChange } from "./apply-change";
export { observedBootUnit } from "./boot-unit";
export { createWorkload, removeWorkload } from "./deploy";
export { observedHealth } from "./health";
export { runtimeFor } from "./index";
export { withNodeLock } from "./node-lock";
export { tagInRegistry } from "./tag-digest";
