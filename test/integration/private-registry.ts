import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** What test/fixtures/registry-auth.sh up wrote: a registry that wants a login. */
export interface PrivateRegistry {
  server: string;
  username: string;
  password: string;
  /** Its htpasswd file: tests add logins of their own (the registry rereads it on change). */
  htpasswd: string;
  images: { v1: string; v2: string; uni?: string };
}

const FILE = resolve(__dirname, "../../.test-nodes/registry-auth.json");

export function loadPrivateRegistry(): PrivateRegistry {
  const file = process.env.PULUMI_MCP_TEST_REGISTRY_AUTH ?? FILE;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PrivateRegistry;
  } catch {
    throw new Error(
      `these tests need the registry with authentication: run \`bash test/fixtures/registry-auth.sh up\` first (no ${file})`,
    );
  }
}

function htpasswd(args: string[], stdin?: string): void {
  const result = spawnSync("htpasswd", args, { input: stdin, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`htpasswd ${args.join(" ")}: ${result.stderr}`);
}

/** Adds (or re-sets) a login on the registry: bcrypt via `htpasswd -B`, the password on stdin. */
export function setRegistryLogin(registry: PrivateRegistry, user: string, password: string): void {
  htpasswd(["-B", "-i", registry.htpasswd, user], password);
}

export function removeRegistryLogin(registry: PrivateRegistry, user: string): void {
  htpasswd(["-D", registry.htpasswd, user]);
}

/** Waits until the registry accepts (or, with `accepted` false, refuses) a login. */
export async function registryAnswers(
  registry: PrivateRegistry,
  user: string,
  password: string,
  accepted = true,
): Promise<void> {
  const auth = Buffer.from(`${user}:${password}`).toString("base64");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await fetch(`http://${registry.server}/v2/`, {
      headers: { authorization: `Basic ${auth}` },
    });
    if ((response.status === 200) === accepted) return;
    if (Date.now() > deadline)
      throw new Error(`registry still answers ${response.status} for ${user}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}
