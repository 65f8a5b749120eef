import type * as pulumi from "@pulumi/pulumi";
import { buildContext } from "../runtime/build-context";
import { publishImage, registryAccess, registryTag } from "../runtime/image-publish";
import { checkImage, type ImageSpec, imageName } from "../spec/image";
import { messageOf } from "../spec/message-of";
import { containsUnknown, isUnknown } from "../spec/unknown";
import { transportFor } from "../transport";
import { withoutUndefined } from "./plain-struct";

type Bag = Record<string, unknown>;

/** What the registry holds: outputs only, never inputs. */
const COMPUTED = ["ref", "digest", "imageName"] as const;
/** A new repo or version is another artifact: replace (the old one stays in the registry). */
const REPLACE_FIELDS = ["repo", "version"] as const;
/** A change of these rebuilds; any other field (node, credentials, context path, overwrite, tlsVerify) is state only. */
const BUILD_FIELDS = ["contextHash", ...REPLACE_FIELDS] as const;

function inputsOf(bag: Bag): Bag {
  const inputs: Bag = {};
  for (const [key, value] of Object.entries(bag)) {
    if (key === "__provider" || (COMPUTED as readonly string[]).includes(key)) continue;
    if (value !== undefined && value !== null) inputs[key] = value;
  }
  return inputs;
}

function specOf(bag: Bag, what: string): ImageSpec {
  const outcome = checkImage(inputsOf(bag));
  if (!outcome.ok) {
    throw new Error(
      `${what} is not a valid image: ${outcome.failures.map((f) => f.reason).join("; ")}`,
    );
  }
  return outcome.spec;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function stateOf(spec: ImageSpec, digest: string, contextHash: string): Bag {
  const name = imageName(spec);
  return withoutUndefined({
    ...spec,
    contextHash,
    imageName: name,
    digest,
    ref: `${name}@${digest}`,
  });
}

async function about<T>(spec: ImageSpec, action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new Error(`${action} image ${imageName(spec)}: ${messageOf(error)}`);
  }
}

/**
 * The dynamic provider behind `mcp.Image` (serialised as a `require` of this
 * module, like the others). Check hashes the context (reads only); diff is
 * pure; only create, update and read talk to podman and the registry. Delete
 * never removes anything from the registry.
 */
const imageProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Bag, news: Bag): Promise<pulumi.dynamic.CheckResult> {
    const inputs = inputsOf(news);
    // A preview of a value not known yet: nothing to hash; diff reports an update.
    if (containsUnknown(inputs)) return { inputs };
    const outcome = checkImage(inputs);
    if (!outcome.ok) return { inputs, failures: outcome.failures };
    try {
      return { inputs: { ...outcome.spec, contextHash: buildContext(outcome.spec).hash } };
    } catch (error) {
      const property = messageOf(error).startsWith("dockerfile") ? "dockerfile" : "context";
      return { inputs, failures: [{ property, reason: messageOf(error) }] };
    }
  },

  async diff(_id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.DiffResult> {
    const changed = Object.keys({ ...inputsOf(olds), ...inputsOf(news) }).filter(
      (key) => !same(olds[key], news[key]),
    );
    const replaces = REPLACE_FIELDS.filter(
      (key) => isUnknown(news[key]) || !same(olds[key], news[key]),
    );
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: Bag): Promise<pulumi.dynamic.CreateResult> {
    const spec = specOf(inputs, "inputs");
    const published = await about(spec, "publishing", () =>
      publishImage(transportFor(spec.node, spec.credentials), spec),
    );
    return { id: imageName(spec), outs: stateOf(spec, published.digest, published.contextHash) };
  },

  /** Refresh: what the registry holds under the tag now; a tag gone from it leaves state. */
  async read(id: string, props?: Bag): Promise<pulumi.dynamic.ReadResult> {
    if (!props?.repo)
      throw new Error(`cannot read image ${id}: no state (images are created, not imported)`);
    const spec = specOf(props, "state");
    const transport = transportFor(spec.node, spec.credentials);
    const tag = await about(spec, "reading", async () =>
      registryTag(transport, spec, await registryAccess(transport, spec)),
    );
    if (!tag) return { id: "" };
    return { id, props: stateOf(spec, tag.digest, tag.contextHash) };
  },

  async update(_id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.UpdateResult> {
    const spec = specOf(news, "inputs");
    // Same content and tag: state only (another build node, credentials, …), no connection.
    if (
      BUILD_FIELDS.every((key) => same(olds[key], news[key])) &&
      typeof olds.digest === "string"
    ) {
      return { outs: stateOf(spec, olds.digest, String(olds.contextHash ?? "")) };
    }
    const published = await about(spec, "publishing", () =>
      publishImage(transportFor(spec.node, spec.credentials), spec),
    );
    return { outs: stateOf(spec, published.digest, published.contextHash) };
  },

  /** Never deletes from the registry: other stacks and running components may use the tag. */
  async delete(): Promise<void> {},
};

export = imageProvider;
