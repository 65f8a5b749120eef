import { z } from "zod";
import type { CheckFailure } from "./check-component";
import { zodFailures } from "./check-component";
import { parseImageRef } from "./image-ref";
import { LIMITS } from "./limits";
import {
  type NodeCredentials,
  type NodeTarget,
  nodeCredentialsSchema,
  nodeProblems,
  nodeTargetSchema,
} from "./node";
import { showValue } from "./redact";

/** distribution/reference's tag grammar. */
const TAG = /^[\w][\w.-]{0,127}$/;
const BUILD_ARG = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** An `mcp.Image`'s inputs after check: defaults filled in. */
export interface ImageSpec {
  /** Where podman builds, pushes and asks the registry: this machine (`local: true`) or a node over SSH. */
  node: NodeTarget;
  /** The build node's SSH credentials and `registries` (the repo's registry only). */
  credentials?: NodeCredentials;
  /** The build context directory, as the program gives it (relative to the project directory, or absolute). */
  context: string;
  /** The Containerfile, relative to the context; Containerfile, else Dockerfile, by default. */
  dockerfile?: string;
  /** `registry[:port]/path`, no tag and no digest. */
  repo: string;
  /** The tag pushed: the image's version. */
  version: string;
  buildArgs: Record<string, string>;
  /** Push over a tag that holds other content in the registry (versions are immutable otherwise). */
  overwrite: boolean;
  /** `--tls-verify` for the registry; unset: as podman's registries.conf says (insecure = true or not). */
  tlsVerify?: boolean;
  /** sha256 of the build context as podman will see it (files, modes, contents; ignore files honoured): set by check. */
  contextHash?: string;
}

export const imageInputsSchema = z.strictObject({
  node: nodeTargetSchema,
  credentials: nodeCredentialsSchema.optional(),
  context: z.string().min(1).max(LIMITS.pathLength),
  dockerfile: z.string().min(1).max(LIMITS.pathLength).optional(),
  repo: z.string().max(LIMITS.imageLength),
  version: z
    .string()
    .regex(TAG, "must be an image tag (letters, digits, _ . -; at most 128)")
    .refine((tag) => tag !== "latest", "must be a version, not latest (versions are immutable)"),
  buildArgs: z.record(z.string(), z.string()).default({}),
  overwrite: z.boolean().default(false),
  tlsVerify: z.boolean().optional(),
  contextHash: z.string().regex(SHA256).or(z.literal("")).optional(),
});

export type ImageCheck = { ok: true; spec: ImageSpec } | { ok: false; failures: CheckFailure[] };

function fail(property: string, value: unknown, reason: string): CheckFailure {
  return { property, reason: `${property} = ${showValue(value)}: ${reason}` };
}

/** Validates and normalises an Image's inputs (the context hash is computed apart: it reads files). */
export function checkImage(input: unknown): ImageCheck {
  const parsed = imageInputsSchema.safeParse(input);
  if (!parsed.success) return { ok: false, failures: zodFailures(input, parsed.error) };
  const data = parsed.data;
  const failures: CheckFailure[] = [...nodeProblems(data.node, data.credentials, "node")];
  const repo = parseImageRef(data.repo);
  if (typeof repo === "string")
    failures.push(fail("repo", data.repo, `is not a repository: it ${repo}`));
  else if (repo.tag || repo.digest)
    failures.push(fail("repo", data.repo, "must not hold a tag or digest: the tag is `version`"));
  else if (!repo.registry)
    failures.push(
      fail("repo", data.repo, "must name its registry (host[:port]/path): pushes never guess one"),
    );
  const registry = typeof repo === "string" ? undefined : repo.registry;
  for (const [index, login] of (data.credentials?.registries ?? []).entries()) {
    if (registry && login.server !== registry) {
      failures.push(
        fail(
          `node.registries[${index}].server`,
          login.server,
          `an Image logs in to its repo's registry only (${registry}: for the push, the registry query and a FROM image it serves); other FROM images use the build node's own podman auth`,
        ),
      );
    }
  }
  for (const [key, value] of Object.entries(data.buildArgs)) {
    if (!BUILD_ARG.test(key))
      failures.push(fail("buildArgs", key, "must be a build argument name"));
    if (value.includes("\0")) failures.push(fail(`buildArgs.${key}`, value, "contains a NUL byte"));
  }
  if (data.dockerfile?.split("/").includes("..")) {
    failures.push(fail("dockerfile", data.dockerfile, "must lie inside the context (no ..)"));
  }
  if (failures.length > 0) return { ok: false, failures };
  const buildArgs = Object.fromEntries(
    Object.entries(data.buildArgs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return { ok: true, spec: { ...data, buildArgs } };
}

/** `repo:version`: what is built, tagged and pushed. */
export function imageName(spec: Pick<ImageSpec, "repo" | "version">): string {
  return `${spec.repo}:${spec.version}`;
}
