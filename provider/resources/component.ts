import * as pulumi from "@pulumi/pulumi";

import componentProvider = require("./component-provider");

import { type NodeArgs, nodeInputs } from "./node-args";
import { secretContents } from "./secret-values";

/** The fields of one component, shared with `Service` entries. */
export interface ComponentFields {
  /** Component name; the workload on the node is `<service>-<name>`. */
  name: pulumi.Input<string>;
  /** Image reference pinned by a version tag or a digest (never :latest). */
  image: pulumi.Input<string>;
  /**
   * Resolve the tag to the digest the registry holds under it at deploy (on
   * the node, with skopeo) and run exactly that digest, `repo:tag@sha256:…`
   * (output `pinnedImage`), also when the workload is recreated for another
   * change; a tag moved in the registry later changes nothing that runs.
   */
  pinDigest?: pulumi.Input<boolean>;
  /** "container" (podman, the default) or "unikernel". */
  runtime?: pulumi.Input<"container" | "unikernel">;
  /** `[ip:]hostPort:containerPort[/tcp|udp]`; the address defaults to 127.0.0.1. */
  ports?: pulumi.Input<pulumi.Input<string>[]>;
  /** `/host/path:/container/path[:ro|z|Z]` (a unikernel refuses `:ro`). Host directories are never deleted. */
  volumes?: pulumi.Input<pulumi.Input<string>[]>;
  /** Environment. Values are secret outputs and never appear on a command line. */
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Container only: files under /run/secrets/ in the container, file name →
   * content, mounted from podman secrets. Unlike env, contents never show in
   * `podman inspect`. Contents are secret outputs and never on a command line.
   */
  secretFiles?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Arguments passed to the image's entrypoint. */
  cmd?: pulumi.Input<pulumi.Input<string>[]>;
  /** `user[:group]` inside the container. */
  user?: pulumi.Input<string>;
  /**
   * podman restart policy; "unless-stopped" by default. A unikernel takes "on-failure" (its
   * default: Nanos reboots only when the program exits non-zero) or "no".
   */
  restart?: pulumi.Input<"no" | "always" | "on-failure" | "unless-stopped">;
  /** podman network to join. */
  network?: pulumi.Input<string>;
  /** Memory limit in MiB (container limit, or the VM's memory). */
  memoryMb?: pulumi.Input<number>;
  /** CPUs (container limit, or the VM's vCPUs). */
  vcpus?: pulumi.Input<number>;
  /** Unikernel only: "auto" (KVM when the node has a usable one, else TCG; the default), "kvm" or "tcg". */
  accel?: pulumi.Input<"auto" | "kvm" | "tcg">;
  /** Unikernel only: path of the static ELF inside the image to run, instead of its entrypoint (else cmd[0]). */
  binary?: pulumi.Input<string>;
  /** Seconds between SIGTERM and SIGKILL on stop; 10 by default. */
  stopTimeout?: pulumi.Input<number>;
  /** Seconds a new workload has to start and stay up; 60 by default. */
  startTimeout?: pulumi.Input<number>;
  /** Seconds a new workload must stay running to count as started; 2 by default. */
  minUptime?: pulumi.Input<number>;
  /**
   * Components of the same service whose boot units start before this one's.
   * In a Service, by default, every component declared before this one.
   */
  after?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * A probe that must pass before a create or update is done (an update whose
   * check never passes is rolled back); a refresh reports state "unhealthy"
   * when it fails. Exactly one of http, tcp or cmd.
   */
  healthcheck?: pulumi.Input<HealthCheckArgs>;
}

/** `healthcheck`: probed by pulumi-mcp from the node (times in seconds). */
export interface HealthCheckArgs {
  /** GET `path` (default "/") on the published host address of container port `port`; healthy on `status` (default 200). */
  http?: pulumi.Input<{
    port: pulumi.Input<number>;
    path?: pulumi.Input<string>;
    status?: pulumi.Input<number>;
  }>;
  /** A TCP connection to the published host address of container port `port` (a VM: it must answer a request). */
  tcp?: pulumi.Input<{ port: pulumi.Input<number> }>;
  /** Containers only: argv run inside the container with `podman exec`; exit 0 is healthy. */
  cmd?: pulumi.Input<pulumi.Input<string>[]>;
  /** Seconds from one probe to the next; 2 by default. */
  interval?: pulumi.Input<number>;
  /** Seconds one probe may take; 2 by default. */
  timeout?: pulumi.Input<number>;
  /** Failed probes in a row (after startPeriod) that make it unhealthy; 3 by default. */
  retries?: pulumi.Input<number>;
  /** Seconds after the start in which failed probes do not count; 0 by default. */
  startPeriod?: pulumi.Input<number>;
}

export interface ComponentArgs extends ComponentFields {
  /** The node to run on. A plain object: its fields may each be Inputs. */
  node: NodeArgs;
  /** The MCP service this component belongs to. */
  service: pulumi.Input<string>;
  /**
   * Take over a container or VM of this name that already runs (made by hand
   * or by MCP) when the resource is created, without restarting it, if it
   * matches these inputs; a mismatch is refused, naming each field. Only
   * read at create: changing it is never a diff. (The `import` option cannot
   * work for dynamic providers; see README.)
   */
  adopt?: pulumi.Input<boolean>;
}

/**
 * One MCP component: a podman container (or Nanos VM) named
 * `<service>-<name>` on one node, deployed over SSH.
 */
export class Component extends pulumi.dynamic.Resource {
  declare readonly service: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly image: pulumi.Output<string>;
  /** The container or VM name on the node. */
  declare readonly containerName: pulumi.Output<string>;
  /** The running version (the image tag, else its digest). */
  declare readonly version: pulumi.Output<string>;
  /** running, exited, stopped, … */
  declare readonly state: pulumi.Output<string>;
  declare readonly imageId: pulumi.Output<string>;
  /** The digest of the image the workload was started from; a refresh shows it change. */
  declare readonly imageDigest: pulumi.Output<string>;
  /** pinDigest: the reference it runs, `repo:tag@sha256:…`. */
  declare readonly pinnedImage: pulumi.Output<string | undefined>;
  /**
   * The tag's digest in the registry as last seen (a pinned deploy, a refresh),
   * "unknown" when the refresh could not ask; absent for a digest reference.
   */
  declare readonly registryDigest: pulumi.Output<string | undefined>;
  /** Unikernels: sha256:… of the disk image the VM booted. */
  declare readonly diskSha256: pulumi.Output<string | undefined>;
  declare readonly startedAt: pulumi.Output<string>;
  /** Its boot unit: "enabled", or "none" when nothing starts it at boot; refresh may see "disabled" or "missing". */
  declare readonly bootUnit: pulumi.Output<string>;

  constructor(name: string, args: ComponentArgs, opts?: pulumi.CustomResourceOptions) {
    const { node, secretFiles, ...fields } = args;
    super(
      componentProvider,
      name,
      {
        ...fields,
        secretFiles: secretContents(secretFiles),
        ...nodeInputs(node),
        containerName: undefined,
        version: undefined,
        state: undefined,
        imageId: undefined,
        imageDigest: undefined,
        pinnedImage: undefined,
        registryDigest: undefined,
        diskSha256: undefined,
        startedAt: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [
          ...(opts?.additionalSecretOutputs ?? []),
          "credentials",
          "env",
          "secretFiles",
        ],
      },
      "mcp",
      "Component",
    );
  }
}
