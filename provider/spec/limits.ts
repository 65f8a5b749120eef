/** Size limits that keep one bad input from turning into a megabyte-long command or state entry. */
export const LIMITS = {
  nameLength: 63,
  hostLength: 253,
  imageLength: 512,
  envKeys: 256,
  /** Linux refuses a single environment string longer than 128 KiB (MAX_ARG_STRLEN). */
  envValueBytes: 64 * 1024,
  envTotalBytes: 256 * 1024,
  /**
   * A container's `KEY=value`: podman reads its --env-file with Go's
   * bufio.Scanner, whose line (with the `\r` we end it with) holds at most
   * 65535 bytes (measured on podman 4.3.1: 65536 fails, "token too long").
   */
  envFileLineBytes: 65_534,
  cmdArgs: 256,
  cmdArgBytes: 64 * 1024,
  /** A health check's HTTP path: one request line. */
  healthPathLength: 2048,
  ports: 256,
  volumes: 128,
  /** Components a boot unit waits for (`after`). */
  after: 64,
  pathLength: 4096,
  secretFiles: 64,
  secretFileNameLength: 128,
  /** podman refuses a secret of 512000 bytes or more, and an empty one. */
  secretFileBytes: 511_999,
  /** All of a component's secret files together: they travel in one command's stdin and sit in state. */
  secretFilesTotalBytes: 1024 * 1024,
} as const;
