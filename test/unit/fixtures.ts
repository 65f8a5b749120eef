/** Valid component inputs for unit tests; tests override what they exercise. */
export function validInputs(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    // The fake nodes have no systemd: boot units are tested on their own (boot-unit tests).
    node: { host: "rift.example.net", hostKey: `SHA256:${"A".repeat(43)}`, bootPersistence: false },
    credentials: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material\n" },
    service: "mcq",
    name: "api",
    image: "mcr.example.net:8443/mcq:v0.4.0",
    ...overrides,
  };
}

/** Valid service inputs as the Service resource sends them (env split off); two components. */
export function validServiceInputs(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    // The fake nodes have no systemd: boot units are tested on their own (boot-unit tests).
    node: { host: "rift.example.net", hostKey: `SHA256:${"A".repeat(43)}`, bootPersistence: false },
    credentials: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n" },
    name: "mcq",
    components: [
      { name: "api", image: "reg:5000/mcq:v1", ports: ["8443:8443"] },
      { name: "web", image: "reg:5000/mcq-web:v1", ports: ["8080:80"] },
    ],
    componentEnv: [{ TOKEN: "secret-token" }, {}],
    ...overrides,
  };
}
