import { parseRegistryDigests, registryDigests, type TagAnswer } from "../commands/registry-digest";
import type { ComponentSpec } from "../spec/component";
import { digestOf, pinnedReference } from "../spec/image-ref";
import { messageOf } from "../spec/message-of";
import type { RegistryCredential } from "../spec/node";
import type { Transport } from "../transport";
import { ensureSuccess } from "./command-error";
import { nodeBatcher } from "./node-batch";
import { onceFresh } from "./pull-once";
import { authFileFor, pullKey } from "./registry-pull";
import type { LiveWorkload } from "./types";

/**
 * pinDigest at deploy: the reference to pull and run, `repo:tag@sha256:…`,
 * with the digest the registry holds under the tag now (asked from the node,
 * with its login for that registry). Once per node and tag within a run, so
 * every component of one tag runs the same digest. Fails, naming the tag and
 * the node, when the registry cannot say (or the node has no skopeo).
 */
export function pinnedImageOf(
  transport: Transport,
  image: string,
  registries: readonly RegistryCredential[] | undefined,
): Promise<string> {
  return onceFresh(transport, `pin\u0000${pullKey(image, registries)}`, async () => {
    const authFile = await authFileFor(transport, image, registries);
    const what = `pinDigest: resolving ${image} to its digest on ${transport.label}`;
    const result = ensureSuccess(
      what,
      await transport.run(registryDigests([{ reference: image, authFile }])),
    );
    const [answer] = parseRegistryDigests(result.stdout, 1);
    if (!answer?.digest) throw new Error(`${what}: ${answer?.unknown ?? "no answer"}`);
    return pinnedReference(image, answer.digest);
  });
}

/**
 * What a deploy pulls and runs: the image as given, or for pinDigest of a
 * tag the pinned reference (kept from the previous deploy by an update, see
 * diff/tag-drift keepPin, else resolved now).
 */
export async function pinnedOrImage(
  transport: Transport,
  spec: Pick<ComponentSpec, "image" | "pinDigest" | "pinnedImage" | "credentials">,
): Promise<string> {
  if (!spec.pinDigest || digestOf(spec.image)) return spec.image;
  return spec.pinnedImage ?? pinnedImageOf(transport, spec.image, spec.credentials?.registries);
}

async function askRegistry(
  transport: Transport,
  authFile: string,
  names: string[],
): Promise<Map<string, TagAnswer>> {
  const queries = names.map((name) => {
    const [reference = "", imageId = ""] = JSON.parse(name) as string[];
    return { reference, imageId, authFile };
  });
  const result = await transport.run(registryDigests(queries));
  const answers =
    result.exitCode === 0
      ? parseRegistryDigests(result.stdout, queries.length)
      : queries.map(() => ({
          unknown: `the registry query failed on the node (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 300)}`,
        }));
  return new Map(names.map((name, index) => [name, answers[index] ?? {}]));
}

const askInBatch = nodeBatcher(askRegistry);

/**
 * Refresh: what the registry holds under the tag the workload was deployed
 * from, asked from the node (the registry it pulls from may be reachable
 * from there only) with its login, batched: every component of a node that
 * uses one login shares one command. Never throws: a registry that does not
 * answer, a refused login or a node without skopeo is an answer with
 * `unknown` saying why, so one registry's outage never fails a refresh.
 * Undefined for a reference that names a digest (nothing to resolve).
 */
export async function tagInRegistry(
  transport: Transport,
  image: string,
  registries: readonly RegistryCredential[] | undefined,
  live: Pick<LiveWorkload, "imageId">,
): Promise<TagAnswer | undefined> {
  if (digestOf(image)) return undefined;
  try {
    const authFile = (await authFileFor(transport, image, registries)) ?? "";
    const answers = await askInBatch(transport, authFile, JSON.stringify([image, live.imageId]));
    return answers.get(JSON.stringify([image, live.imageId])) ?? { unknown: "no answer" };
  } catch (error) {
    return { unknown: messageOf(error) };
  }
}
