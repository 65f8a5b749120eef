import type { TagAnswer } from "../commands/registry-digest";
import type { ComponentSpec } from "../spec/component";
import { digestOf, pinnedReference } from "../spec/image-ref";

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A tag the registry now holds other content under than the workload runs. */
export interface TagDrift {
  /** The digest the workload runs (its pinned digest, else podman's image digest, state's `imageDigest`). */
  runs: string;
  /** What the registry holds under the tag now. */
  registry: string;
  /** pinDigest: it keeps running `runs`; else the next `up` recreates it from the tag. */
  pinned: boolean;
}

/**
 * Refresh's verdict on a tag: moved when the registry's digest for it is
 * none of the digests the running image is known by. A pinned workload is
 * judged by its pinned digest; any other by its image digest and podman's
 * RepoDigests of its image (a manifest digest names one content whatever the
 * repository; a locally built image's own digest is its local manifest's,
 * not the pushed one, which is among its RepoDigests: no false drift). What
 * runs is named as state's `imageDigest` names it. Unknown answers are no drift.
 */
export function tagDrift(
  live: { imageDigest: string; pinnedImage?: string },
  answer: TagAnswer | undefined,
): TagDrift | undefined {
  const registry = answer?.digest;
  if (!registry) return undefined;
  const pinned = live.pinnedImage ? digestOf(live.pinnedImage) : undefined;
  if (pinned) return pinned === registry ? undefined : { runs: pinned, registry, pinned: true };
  const known = (answer.repoDigests ?? []).map((entry) => entry.slice(entry.lastIndexOf("@") + 1));
  if (known.includes(registry) || live.imageDigest === registry) return undefined;
  // podman's image digest is "" for an image it never pulled or pushed: then a RepoDigest names it.
  const runs = DIGEST.test(live.imageDigest)
    ? live.imageDigest
    : (known.find((digest) => DIGEST.test(digest)) ?? "");
  return { runs, registry, pinned: false };
}

/**
 * What a refresh records as the image of a workload whose tag moved: the
 * tag at the digest it runs (`repo:tag@sha256:<runs>`), so the next preview
 * shows an update back to the program's `repo:tag`, which `up` carries out
 * by pulling the tag's new content. A pinned workload is no drift.
 */
export function driftedImage(image: string, drift: TagDrift | undefined): string {
  return drift && !drift.pinned && DIGEST.test(drift.runs)
    ? pinnedReference(image, drift.runs)
    : image;
}

/** One line naming both digests, for refresh and preview to print. */
export function describeTagDrift(image: string, drift: TagDrift): string {
  const then = drift.pinned
    ? "pinDigest: it keeps running the pinned digest"
    : "the next up pulls the tag and recreates it";
  return `the tag ${image} moved in the registry: it runs ${drift.runs || "(digest unknown)"}, the registry now holds ${drift.registry} under the tag; ${then}`;
}

/**
 * An update keeps a pinned component's digest as long as its image and
 * pinDigest stay: a recreate for another field (env, ports, a health
 * repair) runs exactly what ran before, not what the tag holds by then.
 * Returns the spec to deploy.
 */
export function keepPin(
  previous: Pick<ComponentSpec, "image" | "pinDigest">,
  spec: ComponentSpec,
  pinnedImage: unknown,
): ComponentSpec {
  if (!spec.pinDigest || !previous.pinDigest || previous.image !== spec.image) return spec;
  if (typeof pinnedImage !== "string" || !digestOf(pinnedImage)) return spec;
  if (!pinnedImage.startsWith(`${spec.image}@`)) return spec;
  return { ...spec, pinnedImage };
}

/**
 * The tag drift a refresh left in state, for preview (no network call: only
 * what the last refresh recorded): `registryDigest` against the pinned
 * digest, or against the digest a drifted `image` (`repo:tag@<runs>`) names.
 */
export function driftInState(
  state: { image?: unknown; pinnedImage?: unknown; registryDigest?: unknown },
  image: string,
): TagDrift | undefined {
  const registry = state.registryDigest;
  if (typeof registry !== "string" || !DIGEST.test(registry)) return undefined;
  if (typeof state.pinnedImage === "string") {
    const pinned = digestOf(state.pinnedImage);
    return pinned && pinned !== registry ? { runs: pinned, registry, pinned: true } : undefined;
  }
  if (typeof state.image !== "string" || !state.image.startsWith(`${image}@`)) return undefined;
  const runs = digestOf(state.image);
  return runs && runs !== registry ? { runs, registry, pinned: false } : undefined;
}
