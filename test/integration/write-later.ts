import { writeFileSync } from "node:fs";

/**
 * Writes `text` to `path` after `ms` and resolves to when it did: a health
 * endpoint served from a volume that becomes ready when the test decides.
 */
export function writeLater(path: string, text: string, ms: number): Promise<number> {
  return new Promise((resolve) =>
    setTimeout(() => {
      writeFileSync(path, text);
      resolve(Date.now());
    }, ms),
  );
}
