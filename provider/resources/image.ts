import * as pulumi from "@pulumi/pulumi";

import imageProvider = require("./image-provider");

import { type NodeArgs, nodeInputs } from "./node-args";

export interface ImageArgs {
  /**
   * Where podman builds, pushes and asks the registry: `{ host: "localhost", local: true }`
   * (this machine) or a node over SSH (the context is sent to it). Its `registries` may list
   * the repo's registry: the login for the push, the registry query and a FROM image it serves.
   */
  node: NodeArgs;
  /** The build context directory, relative to the project directory or absolute. */
  context: pulumi.Input<string>;
  /** The Containerfile, relative to the context; Containerfile, else Dockerfile, by default. */
  dockerfile?: pulumi.Input<string>;
  /** `registry[:port]/path`, without tag or digest. */
  repo: pulumi.Input<string>;
  /** The tag pushed; versions are immutable (see overwrite). */
  version: pulumi.Input<string>;
  /** `--build-arg` values. Not secret: podman records them in the image's history. */
  buildArgs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Push over a tag that already holds other content in the registry; false by default. */
  overwrite?: pulumi.Input<boolean>;
  /** `--tls-verify` for the registry; unset: as podman's registries.conf says. */
  tlsVerify?: pulumi.Input<boolean>;
}

/**
 * An OCI image built by podman from a context directory, tagged
 * `<repo>:<version>` and pushed, unless the registry holds that tag with
 * this content already. `ref` (`repo:version@sha256:…`) is what a
 * Component's `image` takes.
 */
export class Image extends pulumi.dynamic.Resource {
  declare readonly repo: pulumi.Output<string>;
  declare readonly version: pulumi.Output<string>;
  /** `repo:version@sha256:…`: the pushed image, pinned by digest. */
  declare readonly ref: pulumi.Output<string>;
  /** The pushed manifest's digest, `sha256:…`. */
  declare readonly digest: pulumi.Output<string>;
  /** `repo:version`. */
  declare readonly imageName: pulumi.Output<string>;
  /** sha256 of the build context; a preview shows when it changes. */
  declare readonly contextHash: pulumi.Output<string>;

  constructor(name: string, args: ImageArgs, opts?: pulumi.CustomResourceOptions) {
    const { node, ...fields } = args;
    super(
      imageProvider,
      name,
      {
        ...fields,
        ...nodeInputs(node),
        contextHash: undefined,
        ref: undefined,
        digest: undefined,
        imageName: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "credentials"],
      },
      "mcp",
      "Image",
    );
  }
}
