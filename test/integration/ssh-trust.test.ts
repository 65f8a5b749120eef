import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it, vi } from "vitest";
import { checkComponent } from "../../provider/spec/check-component";
import { closeAllConnections, transportFor } from "../../provider/transport";
import { fingerprint } from "../../provider/transport/host-key";
import { failureOf } from "./failure-of";
import { loadTestNodes } from "./test-nodes";

const nodes = loadTestNodes();
const WRONG_FINGERPRINT = fingerprint(Buffer.from("not the host key"));
const key = () => readFileSync(nodes.node.privateKeyPath, "utf8");

/** Runs argv on the loopback sshd through a transport built from user-style inputs. */
function runOn(
  node: Record<string, unknown>,
  credentials: Record<string, unknown>,
  argv: string[] = ["true"],
) {
  const outcome = checkComponent({
    node: {
      host: nodes.node.host,
      port: nodes.node.port,
      user: nodes.node.user,
      connectRetries: 0,
      ...node,
    },
    credentials,
    service: "trust",
    name: "probe",
    image: nodes.images.v1,
  });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return transportFor(outcome.spec.node, outcome.spec.credentials).run(argv);
}

const pinned = () => ({ hostKey: nodes.node.hostKeyFingerprint });

afterAll(closeAllConnections);

describe("SSH trust against the real loopback sshd", () => {
  it("connects with the pinned SHA256 fingerprint", async () => {
    expect(await runOn(pinned(), { privateKey: key() }, ["id", "-u"])).toMatchObject({
      exitCode: 0,
      stdout: "0\n",
    });
  });

  it("connects with known_hosts text", async () => {
    const knownHosts = `# comment\n${nodes.node.knownHosts}\n`;
    expect((await runOn({ knownHosts }, { privateKey: key() })).exitCode).toBe(0);
  });

  it("host key mismatch → refused; the error names the host and both fingerprints", async () => {
    const error = await failureOf(
      runOn({ hostKey: WRONG_FINGERPRINT }, { privateKey: key() }, [
        "touch",
        `${nodes.stateDir}/must-not-exist`,
      ]),
    );
    expect(error.message).toContain(`127.0.0.1:${nodes.node.port}`);
    expect(error.message).toContain(WRONG_FINGERPRINT);
    expect(error.message).toContain(nodes.node.hostKeyFingerprint);
  });

  it("a known_hosts text without this host → refused, naming what was presented", async () => {
    const knownHosts = nodes.node.knownHosts.replace(
      `[127.0.0.1]:${nodes.node.port}`,
      "[127.0.0.1]:1",
    );
    const error = await failureOf(runOn({ knownHosts }, { privateKey: key() }));
    expect(error.message).toContain("no key for 127.0.0.1");
    expect(error.message).toContain(nodes.node.hostKeyFingerprint);
  });

  it("insecureIgnoreHostKey is an explicit opt-in and warns on every connection", async () => {
    const warnings = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect((await runOn({ insecureIgnoreHostKey: true }, { privateKey: key() })).exitCode).toBe(
        0,
      );
      const printed = warnings.mock.calls.map((call) => String(call[0])).join("");
      expect(printed).toContain("NOT verified");
      expect(printed).toContain(nodes.node.hostKeyFingerprint);
    } finally {
      warnings.mockRestore();
    }
  });

  it("an encrypted key with its passphrase works; a wrong passphrase fails without echoing it", async () => {
    const encrypted = readFileSync(nodes.encryptedKey.path, "utf8");
    const ok = await runOn(pinned(), {
      privateKey: encrypted,
      passphrase: nodes.encryptedKey.passphrase,
    });
    expect(ok.exitCode).toBe(0);
    const wrong = "definitely-the-wrong-passphrase";
    const error = await failureOf(runOn(pinned(), { privateKey: encrypted, passphrase: wrong }));
    expect(error.message).toMatch(/private key .* cannot be used/);
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(encrypted.slice(40, 80));
  });

  it("a key the node does not accept → authentication error naming the node", async () => {
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ format: "pem", type: "pkcs1" })
      .toString();
    const error = await failureOf(runOn(pinned(), { privateKey: stranger }));
    expect(error.message).toContain(`authentication failed for root@127.0.0.1:${nodes.node.port}`);
  });

  it("proxyJump reaches the node through a jump host (the same sshd, forwarding to itself)", async () => {
    const jump = {
      host: nodes.node.host,
      port: nodes.node.port,
      user: nodes.node.user,
      ...pinned(),
    };
    const result = await runOn(
      { ...pinned(), proxyJump: jump },
      { privateKey: key(), proxyJump: { privateKey: key() } },
      ["echo", "via jump"],
    );
    expect(result).toMatchObject({ exitCode: 0, stdout: "via jump\n" });
  });

  it("a closed port fails within the connect timeout, after bounded retries", async () => {
    const started = Date.now();
    const error = await failureOf(
      runOn({ ...pinned(), port: 1, connectRetries: 2 }, { privateKey: key() }),
    );
    expect(error.message).toMatch(/ECONNREFUSED.*after 3 attempts/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
