// End to end through the REAL Pulumi CLI as the fixture's rootless login (mcptest): examples/basic,
// pulumi-mcp installed from `npm pack`. First with the example's /srv/hello, which the login cannot
// write: `pulumi up` is refused by the preflight, naming the directory and the command that fixes it,
// and nothing is created. Then with the copied program's volume moved under the login's home (the
// fixture never changes the shared /srv/hello): up → serves v1 under the login's podman → destroy.

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareProgram } from "../cli/prepare-program";
import type { CliStack } from "../cli/pulumi-cli";
import {
  httpGet,
  loadTestNodes,
  podmanAs as podmanAsLogin,
  type RootlessNodes,
  testNodeConfig,
} from "../integration/test-nodes";
import { exampleStack } from "./example-stack";

const nodes = loadTestNodes() as RootlessNodes;
const rl = nodes.rootless;
const HTTP_PORT = 18960;
const CONTAINER = "hello-web";
const dataDir = `${rl.home}/rl-e2e-hello`;

function podmanAs(...args: string[]) {
  return podmanAsLogin(rl, ...args);
}

const namesAs = () =>
  podmanAs("ps", "--all", "--format", "{{.Names}}").stdout.split("\n").filter(Boolean);

let stack: CliStack;
let programDir = "";

beforeAll(() => {
  podmanAs("rm", "--force", "--time", "0", CONTAINER);
  rmSync(dataDir, { recursive: true, force: true });
  const program = prepareProgram({ example: "examples/basic", name: "e2e-rootless" });
  programDir = program.dir;
  stack = exampleStack(program, {
    stack: "e2e-rootless",
    config: {
      ...testNodeConfig(nodes),
      user: rl.user,
      apiToken: { secret: "rootless-e2e-token" },
      image: nodes.images.v1,
      httpPort: HTTP_PORT,
    },
  });
});

afterAll(() => {
  podmanAs("rm", "--force", "--time", "0", CONTAINER);
});

describe(`examples/basic through the real pulumi CLI as the rootless login ${rl.user}`, () => {
  it("up with a volume directory the login cannot write is refused, naming it and the fix", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(false);
    const text = `${run.error ?? ""}\n${run.stdout}\n${run.stderr}`;
    expect(text).toContain(`cannot run ${CONTAINER} as the rootless login ${rl.user}`);
    expect(text).toContain("/srv/hello");
    expect(text).toContain(`sudo install -d -o ${rl.user} /srv/hello`);
    expect(namesAs()).not.toContain(CONTAINER);
  });

  it("with the volume in the login's home: up serves v1 from the login's podman; destroy removes it", async () => {
    const index = path.join(programDir, "index.ts");
    writeFileSync(
      index,
      readFileSync(index, "utf8").replace("`/srv/hello:/srv/hello`", `\`${dataDir}:/srv/hello\``),
    );
    const up = await stack.run("up");
    expect(up.ok, up.error).toBe(true);
    expect(up.outputs.version?.value).toBe("v1.0.0");
    expect((await httpGet(`http://127.0.0.1:${HTTP_PORT}/version`)).trim()).toBe("v1.0.0");
    expect(namesAs()).toContain(CONTAINER);
    const destroy = await stack.run("destroy");
    expect(destroy.ok, destroy.error).toBe(true);
    expect(namesAs()).not.toContain(CONTAINER);
  });
});
