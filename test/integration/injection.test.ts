import { existsSync, rmSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { hostileString } from "../hostile-strings";
import { create, provider } from "./provider-calls";
import {
  createCommandOf,
  httpGet,
  loadTestNodes,
  removeContainers,
  sshAndLocal,
} from "./test-nodes";

const nodes = loadTestNodes();
const CANARY = `${nodes.stateDir}/canary-injection`;
/** Each would create the canary if any shell on the node ever interpreted it. */
/** Fixed cases, then values fast-check generates from metacharacters (a fixed seed, so reproducible). */
const FIXED = [
  `'"$();|&\\\``,
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `; touch ${CANARY}`,
  `' ; touch ${CANARY} ; '`,
  `" ; touch ${CANARY} ; "`,
  `line one\nline two\n$(touch ${CANARY})\n`,
  `| touch ${CANARY}`,
  `&& touch ${CANARY}`,
  "--help",
  "-e",
  "",
  "trailing newline\n",
  "unicode ✓ ünïcödé",
];
const GENERATED = fc.sample(hostileString(CANARY), { numRuns: 24, seed: 20261129 });
const HOSTILE = [...FIXED, ...GENERATED];
/** A container's env cannot hold a newline (check refuses it: env-isolation.test.ts); cmd can. */
const HOSTILE_ENV = HOSTILE.filter((value) => !value.includes("\n"));

const SECRET = "env-value-that-must-stay-off-command-lines";

const cases = sshAndLocal(nodes, "inject", [18431, 18432]);

beforeAll(() => {
  rmSync(CANARY, { force: true });
  for (const c of cases) removeContainers(`${c.name}-web`);
});

afterAll(async () => {
  for (const c of cases) removeContainers(`${c.name}-web`);
  await closeAllConnections();
});

describe.each(cases)("hostile env values and cmd arguments ($label)", ({ port, name, node }) => {
  it("reach the container verbatim and never run on the node", async () => {
    const env = {
      ...Object.fromEntries(HOSTILE_ENV.map((value, index) => [`HOSTILE_${index}`, value])),
      SECRET_MARK: SECRET,
    };
    const { id, outs } = await create({
      ...node(),
      service: name,
      name: "web",
      image: nodes.images.v1,
      ports: [`127.0.0.1:${port}:8080`],
      env,
      cmd: HOSTILE,
      stopTimeout: 1,
      minUptime: 0.5,
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      expect(await httpGet(`${base}/version`)).toBe("v1.0.0");
      // busybox httpd answers an empty file with an empty body
      for (const [index, value] of HOSTILE.entries())
        expect(await httpGet(`${base}/args/${index}`), `cmd[${index}]`).toBe(value);
      for (const [index, value] of HOSTILE_ENV.entries())
        expect(await httpGet(`${base}/env/HOSTILE_${index}`), `env.HOSTILE_${index}`).toBe(value);
      expect(existsSync(CANARY)).toBe(false);
      expect(await httpGet(`${base}/env/SECRET_MARK`)).toBe(SECRET);
      // env values never were on podman's command line (cmd arguments are, as data)
      const created = createCommandOf(`${name}-web`);
      expect(created).toContain('"--env-file","/dev/stdin"');
      expect(created).not.toContain(SECRET);
    } finally {
      await provider.delete(id, outs);
    }
    expect(existsSync(CANARY)).toBe(false);
  });
});
