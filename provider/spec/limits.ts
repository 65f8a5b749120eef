/** Size limits that keep one bad input from turning into a megabyte-long command or state entry. */
export const LIMITS = {
  nameLength: 63,
  hostLength: 253,
  imageLength: 512,
  envKeys: 256,
  /** Linux refuses a single environment string longer than 128 KiB (MAX_ARG_STRLEN). */
  envValueBytes: 64 * 1024,
  envTotalBytes: 256 * 1024,
  cmdArgs: 256,
  cmdArgBytes: 64 * 1024,
  ports: 256,
  volumes: 128,
  pathLength: 4096,
} as const;
