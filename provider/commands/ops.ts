/**
 * `ops` (NanoVMs) command lines and its config file. ops refuses unknown
 * config fields, so the writer emits only the ones below, in a fixed order.
 */
export interface OpsConfigInput {
  /** The program's arguments without argv[0] (ops puts the program path given to `ops build` there). */
  args: readonly string[];
  /**
   * The host directory that stands for the image's root (ops' TargetRoot): an
   * absolute program path P given to `ops build` is read from TargetRoot + P
   * and placed at P in the image, so the program's argv[0] is P, as in its
   * container.
   */
  targetRoot: string;
  env: Readonly<Record<string, string>>;
  /**
   * Guest mount points of host-directory 9p shares, in share order: the N-th
   * (1-based) is the QEMU `-virtfs … mount_tag=N` share, which ops' config
   * names `%N`.
   */
  mounts: readonly string[];
  /** Reboot the VM when the program exits non-zero (ops' RebootOnExit). */
  rebootOnExit: boolean;
}

/** ops' config.json for one image, as an object with ops' own field names. */
export function opsConfig(input: OpsConfigInput): Record<string, unknown> {
  const config: Record<string, unknown> = {
    Args: [...input.args],
    Env: Object.fromEntries(
      Object.keys(input.env)
        .sort()
        .map((key) => [key, input.env[key] ?? ""]),
    ),
    TargetRoot: input.targetRoot,
  };
  // No DisableArgsCopy: for an ELF build ops overwrites it with its flag's default.
  if (input.mounts.length > 0) {
    config.Mounts = Object.fromEntries(
      input.mounts.map((guest, index) => [`%${index + 1}`, guest]),
    );
  }
  if (input.rebootOnExit) config.RebootOnExit = true;
  return config;
}

/** The config file's text (it holds env values: written through stdin, never argv). */
export function opsConfigJson(input: OpsConfigInput): string {
  return `${JSON.stringify(opsConfig(input), null, 2)}\n`;
}

/**
 * ops cuts an image name at its first ".": names here never hold one, so a
 * name is always the file ops writes.
 */
export function opsImageName(key: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(key))
    throw new Error(`bad ops image key ${JSON.stringify(key)}`);
  return `pulumi-mcp-${key}`;
}

/**
 * `ops build <program> -i <name> -c <config.json>`: writes ~/.ops/images/<name>.
 * PROGRAM is the ELF's path in the image (read from the config's TargetRoot).
 */
export function opsBuild(program: string, imageName: string, configPath: string): string[] {
  if (imageName.includes(".")) throw new Error(`ops image name ${imageName} holds a "."`);
  if (!program.startsWith("/") || program.split("/").includes("..")) {
    throw new Error(`program path ${JSON.stringify(program)} is not absolute without ..`);
  }
  return ["ops", "build", program, "-i", imageName, "-c", configPath];
}

/** The image path from ops' `Bootable image file:<path>` line, if it printed one. */
export function parseBootableImagePath(output: string): string | undefined {
  for (const line of output.split("\n")) {
    const match = /^\s*Bootable image file:\s*(\S.*?)\s*$/.exec(line);
    if (match?.[1]) return match[1];
  }
  return undefined;
}
