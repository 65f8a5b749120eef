// Property-based: any argv (without NUL) reaches the node's process verbatim over real SSH, and
// nothing in it ever runs as shell code there (a canary file is never created).
import { existsSync, rmSync } from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { checkComponent } from "../../provider/spec/check-component";
import { closeAllConnections, transportFor } from "../../provider/transport";
import { hostileString } from "../hostile-strings";
import { loadTestNodes, sshNodeInputs } from "./test-nodes";

const nodes = loadTestNodes();
const CANARY = `${nodes.stateDir}/canary-hostile-ssh`;

const outcome = checkComponent({
  ...sshNodeInputs(nodes),
  service: "hostile",
  name: "ssh",
  image: nodes.images.v1,
});
if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
const transport = transportFor(outcome.spec.node, outcome.spec.credentials);

const argument = hostileString(CANARY);

rmSync(CANARY, { force: true });
afterAll(closeAllConnections);

describe("argv over real SSH (property)", () => {
  it("every argument reaches the remote process exactly, and none runs as code", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(argument, { minLength: 1, maxLength: 6 }), async (args) => {
        runs += 1;
        const result = await transport.run(["printf", "%s\\0", ...args]);
        expect(result.exitCode).toBe(0);
        expect(result.stdout.split("\0").slice(0, -1)).toEqual(args);
      }),
      { numRuns: 200, seed: 20261129 },
    );
    console.log(`hostile argv over SSH: ${runs} commands, all verbatim, canary never created`);
    expect(existsSync(CANARY)).toBe(false);
  });
});
