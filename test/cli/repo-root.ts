import * as path from "node:path";

/** The repository this checkout is. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
