import {
  CONTEXT_HASH_LABEL,
  podmanBuild,
  podmanBuildOnNode,
  podmanPush,
  type RegistryAccess,
  skopeoInspect,
} from "../commands/image";
import { type ImageSpec, imageName } from "../spec/image";
import { credentialFor } from "../spec/image-ref";
import type { CommandResult, Transport } from "../transport";
import { type BuildContext, buildContext } from "./build-context";
import { contextTar } from "./context-tar";
import { registryFailure, registryLogin } from "./registry-pull";

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
 * The auth file for this image's push, registry query and build (a FROM
 * image the same registry serves): the build node logs in to the repo's
 * registry when its `registries` has an entry for it (the login code of
 * pulls, `podman login --password-stdin`, once per node, login and run).
 * Without one, podman's and skopeo's own auth lookup applies.
 */
export async function registryAccess(
  transport: Transport,
  spec: Pick<ImageSpec, "repo" | "credentials" | "tlsVerify">,
): Promise<RegistryAccess> {
  const credential = credentialFor(spec.repo, spec.credentials?.registries);
  const authFile = credential ? await registryLogin(transport, credential) : undefined;
  return { tlsVerify: spec.tlsVerify, ...(authFile ? { authFile } : {}) };
}

/** A failed command's error, naming the registry when it refused us for want of (good) credentials. */
function ensureOk(
  what: string,
  result: CommandResult,
  spec: Pick<ImageSpec, "repo" | "credentials">,
): CommandResult {
  if (result.exitCode === 0) return result;
  throw registryFailure(spec.repo, spec.credentials?.registries, result, what);
}

/** What the registry holds under `name` (repo:tag), or undefined when it has no such tag. */
export async function registryTag(
  transport: Transport,
  spec: Pick<ImageSpec, "repo" | "version" | "credentials">,
  access: RegistryAccess,
): Promise<RegistryTag | undefined> {
  const name = imageName(spec);
  const result = await transport.run(skopeoInspect(name, access));
  if (result.exitCode !== 0 && ABSENT.test(result.stderr)) return undefined;
  ensureOk(`skopeo inspect docker://${name}`, result, spec);
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
  const existing = await registryTag(transport, spec, access);
  if (existing?.contextHash === context.hash) {
    return { digest: existing.digest, contextHash: context.hash, built: false };
  }
  if (existing && !spec.overwrite) {
    throw new Error(
      `${name} already exists in the registry with other content (registry: digest ${existing.digest}, context hash ${existing.contextHash || "none (not built by pulumi-mcp)"}; this program: context hash ${context.hash}). Versions are immutable: bump version, or set overwrite: true to push over it`,
    );
  }
  await build(transport, spec, context, access.authFile);
  const pushed = ensureOk(
    `podman push ${name}`,
    await transport.run(podmanPush(name, access)),
    spec,
  );
  const digest = pushed.stdout.trim();
  if (!DIGEST.test(digest)) throw new Error(`podman push ${name} reported no digest: ${digest}`);
  return { digest, contextHash: context.hash, built: true };
}

/**
 * podman build on the build node: this machine's builds read the context
 * directory in place; a node over SSH gets it as a tar stream on the build's
 * stdin, unpacked into a private directory that lives as long as the build
 * (commands/image `podmanBuildOnNode`). The node lock is not taken: a build
 * changes no workload (only adds an image to the store, which podman locks
 * itself), and holding the lock for a long build would stall every deploy
 * to the node.
 */
async function build(
  transport: Transport,
  spec: ImageSpec,
  context: BuildContext,
  authFile: string | undefined,
): Promise<void> {
  const options = {
    name: imageName(spec),
    contextHash: context.hash,
    buildArgs: spec.buildArgs,
    ...(authFile ? { authFile } : {}),
  };
  const result = spec.node.local
    ? await transport.run(
        podmanBuild({ ...options, dir: context.dir, dockerfile: context.dockerfile }),
      )
    : await transport.run(
        podmanBuildOnNode({ ...options, dockerfile: context.dockerfileInContext }),
        {
          stdin: contextTar(context),
        },
      );
  ensureOk(`podman build ${imageName(spec)} on ${transport.label}`, result, spec);
}
