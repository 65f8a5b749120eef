import { randomBytes } from "node:crypto";
import {
  podmanSecretsCreate,
  podmanSecretsList,
  podmanSecretsRemove,
  type SecretMount,
  secretMountFlags,
  secretName,
} from "../commands/podman-secrets";
import type { ComponentSpec } from "../spec/component";
import { messageOf } from "../spec/message-of";
import type { CommandResult, Transport } from "../transport";
import { CommandFailed, ensureSuccess } from "./command-error";
import { failedOnlyForMissing } from "./only-missing";
import { runPodman } from "./podman-retry";

/**
 * A component's secret files live in podman's secret store only while its
 * container is being created. podman copies a mounted secret into the
 * container's own storage at create time, keeps serving that copy across
 * restarts, and documents `podman secret rm` of an in-use secret as safe
 * (podman-secret-rm(1)). So the secrets are removed right after `podman run`,
 * whatever its outcome: the copy goes with its container on `podman rm`, and
 * removing a container (delete, the set-aside `-previous`, a failed new one)
 * has nothing else to clean up and costs no extra round trip.
 */

/** podman's "not there" for a secret: what a removal may meet without failing. */
const NO_SUCH_SECRET = /no such secret/i;

/** Removes the named secrets; ones already gone are fine. */
export async function removeSecrets(transport: Transport, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const result = await runPodman(transport, podmanSecretsRemove(names));
  if (result.exitCode === 0 || failedOnlyForMissing(result.stderr, NO_SUCH_SECRET)) return;
  throw new CommandFailed(`podman secret rm ${names.join(" ")}`, result);
}

/**
 * Removes the secrets a container's interrupted run may have left (its
 * process killed between creating them and removing them). Only worth a
 * round trip for a spec that has secret files.
 */
export async function sweepSecretFiles(
  transport: Transport,
  spec: ComponentSpec,
  container: string,
): Promise<void> {
  if (!spec.secretFiles) return;
  const listed: CommandResult = ensureSuccess(
    `podman secret ls (${container})`,
    await runPodman(transport, podmanSecretsList(container)),
  );
  await removeSecrets(transport, listed.stdout.split("\n").filter(Boolean));
}

/**
 * Runs `run` (the `podman run` of container `name`) with the spec's secret
 * files mounted: creates one podman secret per file under fresh names, hands
 * `run` the flags that mount them, then removes the secrets again. When that
 * removal fails after a good run, the container is removed too (`run` must
 * leave nothing behind when it fails). Without secret files this is `run([])`.
 */
export async function withSecretFiles<T>(
  transport: Transport,
  spec: ComponentSpec,
  name: string,
  run: (secretFlags: readonly string[]) => Promise<T>,
  removeContainer: () => Promise<void>,
): Promise<T> {
  const files = spec.secretFiles;
  if (!files) return run([]);
  const nonce = randomBytes(6).toString("hex");
  const mounts: SecretMount[] = Object.keys(files).map((file, index) => ({
    file,
    secret: secretName(name, nonce, index),
  }));
  const create = podmanSecretsCreate(
    name,
    mounts.map(({ file, secret }) => ({ name: secret, value: files[file] ?? "" })),
  );
  ensureSuccess(
    `creating the podman secrets of ${name}`,
    await runPodman(transport, create.argv, { stdin: create.stdin }),
  );
  const names = mounts.map(({ secret }) => secret);
  let result: T;
  try {
    result = await run(secretMountFlags(mounts));
  } catch (error) {
    try {
      await removeSecrets(transport, names);
    } catch (cleanupError) {
      throw new Error(
        `${messageOf(error)}\n(and its podman secrets could not be removed: ${messageOf(cleanupError)})`,
      );
    }
    throw error;
  }
  try {
    await removeSecrets(transport, names);
  } catch (error) {
    await removeContainer();
    throw error;
  }
  return result;
}
