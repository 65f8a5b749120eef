import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthProbe, probePort } from "../../provider/commands/health-probe";
import { toCommandLine } from "../../provider/commands/quote";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { validInputs } from "./fixtures";

function spec(overrides: Record<string, unknown>): ComponentSpec {
  const outcome = checkComponent(validInputs(overrides));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

function probeOf(overrides: Record<string, unknown>) {
  const component = spec(overrides);
  if (!component.healthcheck) throw new Error("no healthcheck");
  return healthProbe(component, component.healthcheck, "mcq-api");
}

describe("health probe commands", () => {
  it("http probes the published host address of the container port, bounded by timeout(1)", () => {
    const probe = probeOf({
      ports: ["0.0.0.0:18080:8080", "127.0.0.1:18443:8443"],
      healthcheck: { http: { port: 8080, path: "/health?deep=1" }, timeout: 1.5 },
    });
    expect(probe.what).toBe("GET http://127.0.0.1:18080/health?deep=1");
    expect(probe.argv.slice(0, 6)).toEqual(["timeout", "-k", "1", "1.5", "perl", "-e"]);
    expect(probe.argv.slice(7)).toEqual([
      "--",
      "http",
      "127.0.0.1",
      "18080",
      "1.5",
      "0",
      "/health?deep=1",
      "200",
    ]);
  });

  it("tcp on a container holds the connection; on a VM it needs an answer (QEMU accepts first)", () => {
    const container = probeOf({ ports: ["15432:5432"], healthcheck: { tcp: { port: 5432 } } });
    expect(container.what).toBe("tcp 127.0.0.1:15432");
    expect(container.argv.slice(7, 9)).toEqual(["--", "tcp"]);
    const vm = probeOf({
      runtime: "unikernel",
      ports: ["[::1]:15432:5432"].map(() => "15432:5432"),
      healthcheck: { tcp: { port: 5432 } },
    });
    expect(vm.argv.slice(7, 9)).toEqual(["--", "answer"]);
    expect(probePort("127.0.0.1", 8080, 0.5)).toEqual([
      "perl",
      "-e",
      vm.argv[6],
      "--",
      "answer",
      "127.0.0.1",
      "8080",
      "0.5",
      "0",
    ]);
  });

  it("cmd runs the argv in the container with podman exec, each argument one quoted word", () => {
    const hostile = "$(touch /tmp/pwned); `id` 'x' \"y\"";
    const probe = probeOf({ healthcheck: { cmd: ["pg_isready", "-h", hostile] } });
    expect(probe.argv).toEqual([
      "timeout",
      "-k",
      "1",
      "2",
      "podman",
      "exec",
      "--",
      "mcq-api",
      "pg_isready",
      "-h",
      hostile,
    ]);
    expect(toCommandLine(probe.argv)).toContain(`'$(touch /tmp/pwned); \`id\` '\\''x'\\'' "y"'`);
  });
});

/**
 * Runs a probe's argv here (perl and timeout(1) as on a node) and returns its exit and
 * output; asynchronously, so this process's servers can answer it.
 */
function run(argv: readonly string[]) {
  const [command = "", ...args] = argv;
  return new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve) => {
    execFile(command, args, { encoding: "utf8", timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error && typeof error.code === "number" ? error.code : error ? -1 : 0;
      resolve({ exitCode: code, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}

describe("the probe program against real sockets", () => {
  let http: Server;
  let closer: TcpServer;
  let silent: TcpServer;
  let unused: number;
  const portOf = (server: Server | TcpServer) => (server.address() as AddressInfo).port;

  beforeAll(async () => {
    http = createServer((request, response) => {
      response.statusCode = request.url === "/health" ? 200 : 503;
      response.end("body");
    });
    closer = createTcpServer((socket) => socket.destroy());
    silent = createTcpServer(() => undefined);
    const spare = createTcpServer();
    await Promise.all(
      [http, closer, silent, spare].map(
        (server) => new Promise<void>((done) => server.listen(0, "127.0.0.1", done)),
      ),
    );
    unused = portOf(spare);
    await new Promise((done) => spare.close(done));
  });
  afterAll(() => {
    for (const server of [http, closer, silent]) server.close();
  });

  const probe = (kind: "http" | "tcp", hostPort: number, extra: Record<string, unknown> = {}) =>
    probeOf({
      ports: [`127.0.0.1:${hostPort}:8080`],
      healthcheck: { [kind]: { port: 8080, ...extra }, timeout: 1 },
    }).argv;

  it("http: the expected status passes and prints the status line; another fails", async () => {
    expect(await run(probe("http", portOf(http), { path: "/health" }))).toMatchObject({
      exitCode: 0,
      stdout: "HTTP/1.1 200 OK",
    });
    expect(await run(probe("http", portOf(http), { path: "/migrating" }))).toMatchObject({
      exitCode: 1,
      stdout: "HTTP/1.1 503 Service Unavailable",
    });
    expect(
      (await run(probe("http", portOf(http), { path: "/migrating", status: 503 }))).exitCode,
    ).toBe(0);
  });

  it("a refused connection, a peer that closes and one that never answers all fail", async () => {
    const refused = await run(probe("http", unused));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^cannot connect: .*refused/i);
    expect(await run(probe("http", portOf(closer)))).toMatchObject({
      exitCode: 1,
      stderr: "connection closed without an answer",
    });
    // timeout(1) stops it: exit 124.
    expect((await run(probe("http", portOf(silent)))).exitCode).toBe(124);
  });

  it("tcp: a silent server passes; a forwarder that closes at once fails; refused fails", async () => {
    expect(await run(probe("tcp", portOf(silent)))).toMatchObject({
      exitCode: 0,
      stdout: "connected",
    });
    expect((await run(probe("tcp", portOf(closer)))).stderr).toContain(
      "closed by the peer without a byte",
    );
    expect((await run(probe("tcp", unused))).exitCode).toBe(1);
  });
});
