// A container's env reaches the container only: never podman's or a shell's environment on the node.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { create, provider } from "./provider-calls";
import {
  createCommandOf,
  httpGet,
  loadTestNodes,
  podman,
  removeContainers,
  sshAndLocal,
  sshNodeInputs,
} from "./test-nodes";

const nodes = loadTestNodes();
const dir = mkdtempSync(join(tmpdir(), "enviso-"));
const LOADED_LOG = join(dir, "loaded.log");
const PRELOAD = join(dir, "probe.so");
/** A config podman would refuse to start with, had it read it. */
const BAD_CONF = join(dir, "bad.conf");

/** Keys that change what podman (root here) or a shell runs and reads, with distinctive values. */
const NODE_CHANGING = {
  PATH: "/opt/enviso/bin",
  LD_PRELOAD: PRELOAD,
  LD_LIBRARY_PATH: dir,
  HOME: "/home/enviso app",
  IFS: ":;<enviso-ifs>",
  CONTAINERS_CONF: BAD_CONF,
  CONTAINERS_REGISTRIES_CONF: BAD_CONF,
  XDG_RUNTIME_DIR: "/nonexistent/enviso-runtime",
  TMPDIR: "/nonexistent/enviso-tmp",
};
/** What an env-file line could mangle: carried byte for byte. */
const AWKWARD = {
  ENDS_IN_CR: "carriage return\r",
  QUOTED: `"double" 'single'`,
  HASH: "#not a comment",
  SPACES: "  leading and trailing  ",
  EQUALS: "a=b==c",
  EMPTY: "",
  // Not the longest podman reads (65534 bytes, spec/limits): the image's busybox xargs stops sooner.
  LONG: "x".repeat(30_000),
};
const ENV = { ...NODE_CHANGING, ...AWKWARD };

const cases = sshAndLocal(nodes, "enviso", [18741, 18742]);

beforeAll(() => {
  // A shared object that logs every time it is loaded into a process.
  writeFileSync(
    join(dir, "probe.c"),
    `#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void loaded(void) {
  int fd = open(${JSON.stringify(LOADED_LOG)}, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) { write(fd, "loaded\\n", 7); close(fd); }
}
`,
  );
  execFileSync("gcc", ["-shared", "-fPIC", "-o", PRELOAD, join(dir, "probe.c")]);
  writeFileSync(BAD_CONF, "this is [[not toml\n");
  // The probe works: a process it is preloaded into logs.
  execFileSync("true", { env: { ...process.env, LD_PRELOAD: PRELOAD } });
  expect(existsSync(LOADED_LOG)).toBe(true);
  rmSync(LOADED_LOG);
  for (const c of cases) removeContainers(`${c.name}-web`);
});

afterAll(async () => {
  for (const c of cases) removeContainers(`${c.name}-web`);
  await closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

/** The environment a process in the container starts with, as NAME → value. */
function containerEnv(container: string): Record<string, string> {
  const result = podman("exec", container, "/bin/cat", "/proc/self/environ");
  expect(result.exitCode, result.stderr).toBe(0);
  return Object.fromEntries(
    result.stdout
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

describe.each(cases)("env keys that would change podman ($label)", ({ port, name, node }) => {
  it("reach the container byte for byte, while podman runs in the node's own environment", async () => {
    const { id, outs } = await create({
      ...node(),
      service: name,
      name: "web",
      image: nodes.images.v1,
      ports: [`127.0.0.1:${port}:8080`],
      env: ENV,
      stopTimeout: 1,
      minUptime: 0.5,
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      expect(await httpGet(`${base}/version`)).toBe("v1.0.0");
      // The container's first process (/proc/1/environ, published by the image)…
      for (const [key, value] of Object.entries(ENV))
        expect(await httpGet(`${base}/env/${key}`), `env.${key}`).toBe(value);
      // …and every process podman starts in it see exactly these values.
      expect(containerEnv(`${name}-web`)).toMatchObject(ENV);
      // Nothing on the node loaded the preload (podman, conmon, runc, a shell)…
      expect(existsSync(LOADED_LOG)).toBe(false);
      // …and podman's record of the command holds no value.
      const created = createCommandOf(`${name}-web`);
      expect(created).toContain('"--env-file","/dev/stdin"');
      for (const value of [PRELOAD, "/opt/enviso/bin", "enviso app", "<enviso-ifs>"])
        expect(created).not.toContain(value);
    } finally {
      await provider.delete(id, outs);
    }
    expect(existsSync(LOADED_LOG)).toBe(false);
  });
});

describe("a multi-line env value", () => {
  it("is refused by check, naming the field and pointing at secretFiles, before any deploy", async () => {
    const result = await provider.check(
      {},
      {
        ...sshNodeInputs(nodes),
        service: "enviso-multi",
        name: "web",
        image: nodes.images.v1,
        env: { CERT: "-----BEGIN CERT-----\nenviso-multi-line\n-----END CERT-----\n" },
      },
    );
    expect(result.failures).toEqual([
      {
        property: "env.CERT",
        reason: expect.stringMatching(/^env\.CERT = \[secret\]: holds a newline.*secretFiles$/),
      },
    ]);
    expect(JSON.stringify(result.failures)).not.toContain("enviso-multi-line");
  });
});
