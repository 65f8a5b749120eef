import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration tests share one podman and one sshd; files run one at a time.
    fileParallelism: false,
    dangerouslyIgnoreUnhandledErrors: false,
  },
});
