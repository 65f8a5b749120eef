import { createHash } from "node:crypto";
import { podmanPullWithSize } from "../commands/podman";
import { podmanLogin } from "../commands/registry-login";
import { credentialFor, registryOf } from "../spec/image-ref";
import type { RegistryCredential } from "../spec/node";
import type { CommandResult, Transport } from "../transport";
import { CommandFailed, ensureSuccess } from "./command-error";
import { runPodman } from "./podman-retry";
import { onceFresh } from "./pull-once";

/** podman's words when a registry wants credentials it did not get (or refuses the ones it got). */
const UNAUTHORIZED =
  /authentication required|unauthorized|requested access to the resource is denied/i;

/** Tells logins apart in this process's caches without keeping the password in a key. */
function fingerprint(credential: RegistryCredential): string {
  return createHash("sha256")
    .update(`${credential.server}\u0000${credential.username}\u0000${credential.password}`)
    .digest("hex");
}

/**
 * Logs in to the registry (once per node, login and run) and returns the
 * auth file's path: for pulls here, and for mcp.Image's build, push and
 * registry query (runtime/image-publish). A wrong password or a registry
 * that does not answer fails here, naming the registry, before anything is
 * touched.
 */
export function registryLogin(
  transport: Transport,
  credential: RegistryCredential,
): Promise<string> {
  return onceFresh(transport, `login\u0000${fingerprint(credential)}`, async () => {
    const { argv, stdin } = podmanLogin(
      credential.server,
      credential.username,
      credential.password,
    );
    const result = await runPodman(transport, argv, { stdin });
    const what = `logging in to registry ${credential.server} as ${credential.username}`;
    const file = ensureSuccess(what, result).stdout.trim().split("\n").pop() ?? "";
    if (!file.startsWith("/")) throw new Error(`${what} printed no auth file path`);
    return file;
  });
}

/** The auth file of the node's login for the image's registry (logged in once per node and run), if it has one. */
export async function authFileFor(
  transport: Transport,
  image: string,
  registries: readonly RegistryCredential[] | undefined,
): Promise<string | undefined> {
  const credential = credentialFor(image, registries);
  return credential ? registryLogin(transport, credential) : undefined;
}

/** The cache key of a pull: the image, and which login it was pulled with. */
export function pullKey(image: string, registries?: readonly RegistryCredential[]): string {
  const credential = credentialFor(image, registries);
  return credential ? `${image}\u0000${fingerprint(credential)}` : image;
}

/**
 * The pull's command: `podman pull` then the image's size in bytes, with the
 * auth file of a registry login (once per node) when the node has
 * credentials for the image's registry; without them, podman's own auth
 * lookup applies, as it always did. A refused login fails here.
 */
export async function pullCommand(
  transport: Transport,
  image: string,
  registries?: readonly RegistryCredential[],
): Promise<string[]> {
  return podmanPullWithSize(image, await authFileFor(transport, image, registries));
}

/**
 * A failed registry command (a pull, an Image's query, build or push) in its own
 * words, plus which registry wanted credentials, or refused the login given, when
 * that was why.
 */
export function registryFailure(
  image: string,
  registries: readonly RegistryCredential[] | undefined,
  result: CommandResult,
  what = `podman pull ${image}`,
): CommandFailed {
  const failure = new CommandFailed(what, result);
  failure.message += refusalHint(result.stderr, image, credentialFor(image, registries));
  return failure;
}

/**
 * Pulls the image (pullCommand) and returns its size in bytes (for progress
 * lines). Fails with registryFailure's words.
 */
export async function pullImage(
  transport: Transport,
  image: string,
  registries?: readonly RegistryCredential[],
): Promise<number> {
  const result = await runPodman(transport, await pullCommand(transport, image, registries));
  // stdout: the image id, then its size in bytes.
  if (result.exitCode === 0) return Number(result.stdout.trim().split("\n").at(-1));
  throw registryFailure(image, registries, result);
}

/** Which registry wanted credentials (or refused the login given), when that is why a command failed; "" otherwise. */
function refusalHint(stderr: string, image: string, credential?: RegistryCredential): string {
  if (!UNAUTHORIZED.test(stderr)) return "";
  const server = registryOf(image);
  return credential
    ? `\n(registry ${server} refused ${credential.username}: check that login's access to this repository)`
    : `\n(registry ${server} wants credentials: add it to the node's registries)`;
}
