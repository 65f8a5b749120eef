import {
  CONTEXT_HASH_LABEL,
  podmanBuild,
  podmanPush,
  type RegistryAccess,
  skopeoInspect,
} from "../commands/image";
import { type ImageSpec, imageName } from "../spec/image";
import type { Transport } from "../transport";
import { buildContext } from "./build-context";
import { ensureSuccess } from "./command-error";

/** A tag as the registry holds it. */
export interface RegistryTag {
  digest: string;
  /** Our context-hash label, "" when the image has none (pushed by other means). */
  contextHash: string;
}

/** The registry's answers for a tag that is not there (distribution's MANIFEST_UNKNOWN, NAME_UNKNOWN). */
const ABSENT = /manifest unknown|name unknown/i;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * The one place registry credentials plug in: the auth file for pushes and
 * registry queries of this image. None yet (registry logins are issue #14):
 * podman's and skopeo's own auth lookup applies.
 */
export async function registryAccess(
  _transport: Transport,
  spec: Pick<ImageSpec, "repo" | "credentials" | "tlsVerify">,
): Promise<RegistryAccess> {
  return { tlsVerify: spec.tlsVerify };
}

/** What the registry holds under `name` (repo:tag), or undefined when it has no such tag. */
export async function registryTag(
  transport: Transport,
  name: string,
  access: RegistryAccess,
): Promise<RegistryTag | undefined> {
  const result = await transport.run(skopeoInspect(name, access));
  if (result.exitCode !== 0 && ABSENT.test(result.stderr)) return undefined;
  ensureSuccess(`skopeo inspect docker://${name}`, result);
  const parsed = JSON.parse(result.stdout) as { Digest?: string; Labels?: Record<string, string> };
  if (!parsed.Digest || !DIGEST.test(parsed.Digest)) {
    throw new Error(`skopeo inspect docker://${name} printed no sha256 digest`);
  }
  return { digest: parsed.Digest, contextHash: parsed.Labels?.[CONTEXT_HASH_LABEL] ?? "" };
}

/** What `publishImage` did and what the tag now holds. */
export interface Published {
  digest: string;
  contextHash: string;
  /** False when the registry already had this content under the tag: nothing built or pushed. */
  built: boolean;
}

/**
 * MCP's Build, Push and ImageExists: when the tag holds our content already
 * (same context hash label), nothing is built or pushed; when it holds other
 * content, it is refused unless `overwrite`; else podman builds the context
 * (labelled with its hash) and pushes it. Never removes anything from the registry.
 */
export async function publishImage(transport: Transport, spec: ImageSpec): Promise<Published> {
  const name = imageName(spec);
  const context = buildContext(spec);
  if (spec.contextHash && spec.contextHash !== context.hash) {
    throw new Error(
      `the build context ${context.dir} changed during this run (${spec.contextHash} at preview, ${context.hash} now): run again`,
    );
  }
  const access = await registryAccess(transport, spec);
  const existing = await registryTag(transport, name, access);
  if (existing?.contextHash === context.hash) {
    return { digest: existing.digest, contextHash: context.hash, built: false };
  }
  if (existing && !spec.overwrite) {
    throw new Error(
      `${name} already exists in the registry with other content (registry: digest ${existing.digest}, context hash ${existing.contextHash || "none (not built by pulumi-mcp)"}; this program: context hash ${context.hash}). Versions are immutable: bump version, or set overwrite: true to push over it`,
    );
  }
  ensureSuccess(
    `podman build ${name}`,
    await transport.run(
      podmanBuild({
        name,
        dir: context.dir,
        dockerfile: context.dockerfile,
        contextHash: context.hash,
        buildArgs: spec.buildArgs,
      }),
    ),
  );
  const pushed = ensureSuccess(
    `podman push ${name}`,
    await transport.run(podmanPush(name, access)),
  );
  const digest = pushed.stdout.trim();
  if (!DIGEST.test(digest)) throw new Error(`podman push ${name} reported no digest: ${digest}`);
  return { digest, contextHash: context.hash, built: true };
}
