/** Valid component inputs for unit tests; tests override what they exercise. */
export function validInputs(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    node: { host: "rift.example.net", hostKey: `SHA256:${"A".repeat(43)}` },
    credentials: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material\n" },
    service: "mcq",
    name: "api",
    image: "mcr.example.net:8443/mcq:v0.4.0",
    ...overrides,
  };
}
