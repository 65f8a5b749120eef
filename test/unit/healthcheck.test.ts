import type * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { diffComponent, isUnhealthy, planChange } from "../../provider/diff/component-diff";
import componentProviderModule from "../../provider/resources/component-provider";
import { waitUntilStarted } from "../../provider/runtime/deploy";
import { observedHealth } from "../../provider/runtime/health";
import { healthcheckProblems, parseNodeFacts } from "../../provider/runtime/node-preflight";
import { checkComponent } from "../../provider/spec/check-component";
import type { ComponentSpec } from "../../provider/spec/component";
import { checkService } from "../../provider/spec/service";
import { UNKNOWN } from "../../provider/spec/unknown";
import type { CommandResult } from "../../provider/transport";
import { FakeRuntime, liveWorkload } from "./fakes/fake-runtime";
import { FakeTransport } from "./fakes/fake-transport";
import { validInputs, validServiceInputs } from "./fixtures";

const IMAGE = "mcr.example.net:8443/mcq:v1.0.0";
const componentProvider = componentProviderModule as Required<pulumi.dynamic.ResourceProvider>;
const PORTS = ["127.0.0.1:18443:8443"];

function spec(overrides: Record<string, unknown> = {}): ComponentSpec {
  const outcome = checkComponent(validInputs({ image: IMAGE, ports: PORTS, ...overrides }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

function reasons(overrides: Record<string, unknown>): string[] {
  const outcome = checkComponent(validInputs({ image: IMAGE, ports: PORTS, ...overrides }));
  return outcome.ok ? [] : outcome.failures.map((failure) => failure.reason);
}

describe("healthcheck input", () => {
  it("fills its defaults, so an omitted default and an explicit one are equal", () => {
    const given = spec({ healthcheck: { http: { port: 8443 } } });
    expect(given.healthcheck).toEqual({
      http: { port: 8443, path: "/", status: 200 },
      interval: 2,
      timeout: 2,
      retries: 3,
      startPeriod: 0,
    });
    expect(spec({ healthcheck: given.healthcheck })).toEqual(given);
    expect(spec().healthcheck).toBeUndefined();
  });

  it("refuses bad values, naming the field and the value", () => {
    expect(reasons({ healthcheck: { http: { port: 8443 }, interval: -1 } })).toEqual([
      "healthcheck.interval = -1: Too small: expected number to be >0",
    ]);
    expect(reasons({ healthcheck: { tcp: { port: 9000 } } })).toEqual([
      'healthcheck.tcp.port = 9000: is not published: ports has no TCP port with container port 9000, and the check probes the published host address from the node (publish it, e.g. "127.0.0.1:<hostPort>:9000", or use a cmd check)',
    ]);
    expect(
      reasons({ ports: ["18443:8443/udp"], healthcheck: { tcp: { port: 8443 } } })[0],
    ).toContain("healthcheck.tcp.port = 8443: is not published");
    expect(reasons({ healthcheck: { retries: 2 } })).toEqual([
      'healthcheck = {"interval":2,"timeout":2,"retries":2,"startPeriod":0}: needs exactly one of http, tcp or cmd (it has none)',
    ]);
    expect(reasons({ healthcheck: { tcp: { port: 8443 }, cmd: ["true"] } })[0]).toContain(
      "needs exactly one of http, tcp or cmd (it has tcp and cmd)",
    );
    expect(reasons({ healthcheck: { http: { port: 8443, path: "/a b" } } })).toEqual([
      'healthcheck.http.path = "/a b": must start with / and hold only visible ASCII characters, no spaces (percent-encode the rest)',
    ]);
    expect(reasons({ healthcheck: { http: { port: 8443, status: 99 } } })[0]).toMatch(
      /^healthcheck\.http\.status = 99: Too small/,
    );
    expect(reasons({ healthcheck: { cmd: [] } })[0]).toMatch(/^healthcheck\.cmd = \[\]: Too small/);
    expect(reasons({ healthcheck: { cmd: ["true"], speed: 1 } })).toEqual([
      "healthcheck has unknown field(s) speed",
    ]);
    expect(reasons({ healthcheck: { cmd: ["true"], startPeriod: 60 } })).toEqual([
      "healthcheck.startPeriod = 60: is not shorter than startTimeout (60 s), which bounds the whole wait: no failed probe could ever count; raise startTimeout or shorten startPeriod",
    ]);
    expect(reasons({ healthcheck: { cmd: ["true"], startPeriod: 60 }, startTimeout: 120 })).toEqual(
      [],
    );
  });

  it("a unikernel has no podman exec: cmd is refused, http and tcp are fine", () => {
    const vm = { runtime: "unikernel" };
    expect(reasons({ ...vm, healthcheck: { cmd: ["/bin/true"] } })).toEqual([
      'healthcheck.cmd = ["/bin/true"]: a unikernel VM has no podman exec: use http or tcp',
    ]);
    expect(reasons({ ...vm, healthcheck: { tcp: { port: 8443 } } })).toEqual([]);
  });

  it("in a preview, unknown ports or startTimeout do not fail it; a known bad value still does", () => {
    const check = (overrides: Record<string, unknown>) =>
      checkComponent(validInputs({ image: IMAGE, ...overrides }));
    expect(check({ ports: UNKNOWN, healthcheck: { tcp: { port: 9000 } } }).ok).toBe(true);
    expect(check({ ports: [UNKNOWN], healthcheck: { tcp: { port: 9000 } } }).ok).toBe(true);
    expect(
      check({ startTimeout: UNKNOWN, healthcheck: { cmd: ["true"], startPeriod: 90 } }).ok,
    ).toBe(true);
    expect(check({ ports: PORTS, healthcheck: { http: { port: UNKNOWN } } }).ok).toBe(true);
    const port = check({ ports: PORTS, healthcheck: { http: { port: UNKNOWN } } });
    expect(port.ok && port.spec.healthcheck).toEqual({
      http: { port: UNKNOWN, path: "/", status: 200 },
      interval: 2,
      timeout: 2,
      retries: 3,
      startPeriod: 0,
    });
    const bad = check({ ports: UNKNOWN, healthcheck: { tcp: { port: 9000 }, interval: 0 } });
    expect(bad.ok ? [] : bad.failures.map((failure) => failure.property)).toEqual([
      "healthcheck.interval",
    ]);
  });

  it("a Service component's failure names the component", () => {
    const outcome = checkService(
      validServiceInputs({
        components: [
          {
            name: "api",
            image: "reg:5000/mcq:v1",
            ports: ["8443:8443"],
            healthcheck: { http: { port: 80 } },
          },
        ],
        componentEnv: [{}],
      }),
    );
    expect(outcome.ok ? [] : outcome.failures.map((failure) => failure.property)).toEqual([
      "components[0].healthcheck.http.port",
    ]);
  });

  it("adding, changing or dropping it is a change of state only: nothing on the node", () => {
    const without = spec();
    const withCheck = spec({ healthcheck: { http: { port: 8443 } } });
    const slower = spec({ healthcheck: { http: { port: 8443 }, retries: 10 } });
    for (const [a, b] of [
      [without, withCheck],
      [withCheck, slower],
      [slower, without],
    ] as const) {
      const diff = diffComponent(a, b);
      expect(diff.changed).toEqual(["healthcheck"]);
      expect(planChange(diff)).toBe("state-only");
    }
  });
});

describe("an unhealthy workload found by refresh is drift", () => {
  it("the next diff is a change while the inputs still have a health check; not once it is dropped", async () => {
    const inputs = validInputs({
      image: IMAGE,
      ports: PORTS,
      healthcheck: { tcp: { port: 8443 } },
    });
    const checkedInputs = (await componentProvider.check({}, inputs)).inputs as Record<
      string,
      unknown
    >;
    const state = { ...checkedInputs, containerName: "mcq-api", state: "unhealthy" };
    expect((await componentProvider.diff("id", state, checkedInputs)).changes).toBe(true);
    expect(
      (await componentProvider.diff("id", { ...state, state: "running" }, checkedInputs)).changes,
    ).toBe(false);
    const { healthcheck: _dropped, ...without } = checkedInputs;
    expect((await componentProvider.diff("id", state, without)).changes).toBe(true); // healthcheck removed: a change
    expect(isUnhealthy("unhealthy", spec())).toBe(false);
    expect(isUnhealthy("unhealthy", spec({ healthcheck: { tcp: { port: 8443 } } }))).toBe(true);
  });
});

describe("the node needs perl for http and tcp probes", () => {
  it("names it for any login, never for a cmd check", () => {
    const root = parseNodeFacts("uid=0\nuser=root\nhome=/root\nperl=\n");
    expect(healthcheckProblems(root, spec({ healthcheck: { http: { port: 8443 } } }))).toEqual([
      "healthcheck.http: the node has no perl, which pulumi-mcp's http probe runs in: fix: install it (Debian: `apt-get install perl-base`; Fedora: `dnf install perl-interpreter`), or use a cmd check",
    ]);
    expect(healthcheckProblems(root, spec({ healthcheck: { cmd: ["true"] } }))).toEqual([]);
    const withPerl = parseNodeFacts("uid=0\nuser=root\nhome=/root\nperl=/usr/bin/perl\n");
    expect(healthcheckProblems(withPerl, spec({ healthcheck: { tcp: { port: 8443 } } }))).toEqual(
      [],
    );
  });
});

/** A fake node whose health probe answers with `answer(n)` for the n-th probe (from 1). */
function probedNode(answer: (n: number) => CommandResult, running = true) {
  const runtime = new FakeRuntime();
  let probes = 0;
  const transport = new FakeTransport("fake-node", (argv) => {
    if (argv[0] !== "timeout") throw new Error(`unexpected command ${argv.join(" ")}`);
    probes += 1;
    return answer(probes);
  });
  Object.assign(runtime, { transport });
  const live = liveWorkload("mcq-api", IMAGE, running);
  runtime.workloads.set("mcq-api", live);
  return { runtime, live, probes: () => probes, commands: transport.commands };
}

const served = (line = "HTTP/1.0 200 OK"): CommandResult => ({
  exitCode: 0,
  stdout: `${line}\n`,
  stderr: "",
});
const refused: CommandResult = {
  exitCode: 1,
  stdout: "",
  stderr: "cannot connect: Connection refused\n",
};

/** Settles `promise` as (fake) time runs on, reporting when it did. */
async function settleWithin<T>(promise: Promise<T>, ms: number) {
  const start = Date.now();
  const outcome = promise.then(
    (value) => ({ at: Date.now() - start, value, error: undefined }),
    (error: Error) => ({ at: Date.now() - start, value: undefined, error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  return outcome;
}

describe("waiting for the health check (deploy)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const http = (extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
    spec({ minUptime: 0, healthcheck: { http: { port: 8443, path: "/up" }, ...extra }, ...top });

  it("probes every interval until it passes, then is done", async () => {
    const node = probedNode((n) => (n < 4 ? refused : served()));
    const outcome = await settleWithin(
      waitUntilStarted(node.runtime, "mcq-api", http({ retries: 5 }), { ...node.live }),
      20_000,
    );
    expect(outcome.error).toBeUndefined();
    expect(node.probes()).toBe(4);
    expect(outcome.at).toBe(6_000); // probes at 0, 2, 4 and 6 s
    expect(node.commands[0]).toContain("perl -e");
    expect(node.commands[0]).toMatch(/-- http 127\.0\.0\.1 18443 2 0 \/up 200$/);
  });

  it("fails after retries failures in a row, with the last answers", async () => {
    const node = probedNode(() => ({ ...served("HTTP/1.0 503 Service Unavailable"), exitCode: 1 }));
    const outcome = await settleWithin(
      waitUntilStarted(node.runtime, "mcq-api", http({ interval: 1 }), { ...node.live }),
      20_000,
    );
    expect(outcome.at).toBe(2_000);
    expect(outcome.error?.message).toBe(
      [
        "mcq-api failed its health check 3 time(s) in a row (every 1s, after a 0s start period)",
        "last health check answers (GET http://127.0.0.1:18443/up):",
        "  after 0.0s: failed: HTTP/1.0 503 Service Unavailable (expected 200)",
        "  after 1.0s: failed: HTTP/1.0 503 Service Unavailable (expected 200)",
        "  after 2.0s: failed: HTTP/1.0 503 Service Unavailable (expected 200)",
      ].join("\n"),
    );
  });

  it("failures within the start period do not count", async () => {
    const node = probedNode(() => refused);
    const outcome = await settleWithin(
      waitUntilStarted(node.runtime, "mcq-api", http({ startPeriod: 5 }), { ...node.live }),
      30_000,
    );
    // Probes at 0, 2, 4 (uncounted), then 6, 8, 10: the third counted one fails it.
    expect(outcome.at).toBe(10_000);
    expect(node.probes()).toBe(6);
    expect(outcome.error?.message).toContain("after a 5s start period");
  });

  it("a pass in between starts the count again", async () => {
    const node = probedNode((n) => (n === 3 ? served() : refused));
    // minUptime 7: the pass at 4 s is not enough (healthy, not up long enough); it fails
    // again at 7 s, and the failures after the pass count from zero: 7, 9, 11 s.
    const outcome = await settleWithin(
      waitUntilStarted(node.runtime, "mcq-api", http({}, { minUptime: 7 }), { ...node.live }),
      30_000,
    );
    expect(node.probes()).toBe(6);
    expect(outcome.at).toBe(11_000);
    expect(outcome.error?.message).toContain("failed its health check 3 time(s) in a row");
  });

  it("also waits out minUptime: healthy at once, done after minUptime", async () => {
    const node = probedNode(() => served());
    const outcome = await settleWithin(
      waitUntilStarted(node.runtime, "mcq-api", http({}, { minUptime: 3 }), { ...node.live }),
      10_000,
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.at).toBe(3_000);
    expect(node.probes()).toBe(2); // at 0 s, and again at 3 s (due since 2 s)
  });

  it("startTimeout still bounds the wait, naming the last answer", async () => {
    const node = probedNode(() => ({ exitCode: 124, stdout: "", stderr: "" }));
    const outcome = await settleWithin(
      waitUntilStarted(
        node.runtime,
        "mcq-api",
        http({ retries: 100, interval: 1 }, { startTimeout: 3 }),
        { ...node.live },
      ),
      10_000,
    );
    expect(outcome.error?.message).toMatch(
      /^mcq-api did not start within 3s \(not ready: health check GET http:\/\/127\.0\.0\.1:18443\/up: no answer within 2s\)\nlast health check answers/,
    );
  });

  it("the runtime's own readiness check is not used when there is a health check", async () => {
    const node = probedNode(() => served());
    node.runtime.checkReady = async () => {
      throw new Error("never ready");
    };
    const outcome = await settleWithin(
      waitUntilStarted(node.runtime, "mcq-api", http(), { ...node.live }),
      5_000,
    );
    expect(outcome.error).toBeUndefined();
  });

  it("a cmd check says the exit code and the command's last words", async () => {
    const node = probedNode(() => ({ exitCode: 2, stdout: "", stderr: "db: no response\n" }));
    const outcome = await settleWithin(
      waitUntilStarted(
        node.runtime,
        "mcq-api",
        spec({ minUptime: 0, healthcheck: { cmd: ["pg_isready"], retries: 1 } }),
        { ...node.live },
      ),
      5_000,
    );
    expect(outcome.error?.message).toContain(
      "last health check answers (podman exec mcq-api pg_isready):\n  after 0.0s: failed: exit 2: db: no response",
    );
    expect(node.commands).toEqual(["timeout -k 1 2 podman exec -- mcq-api pg_isready"]);
  });
});

describe("refresh reports the health", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const check = (startPeriod = 0) =>
    spec({ healthcheck: { tcp: { port: 8443 }, interval: 1, retries: 2, startPeriod } });

  it("healthy: one probe, the node's state", async () => {
    const node = probedNode(() => served("connected"));
    const outcome = await settleWithin(
      observedHealth(node.runtime.transport, check(), node.live),
      0,
    );
    expect(outcome.value?.state).toBe("running");
    expect(node.probes()).toBe(1);
  });

  it("unhealthy after retries failures in a row; starting within the start period", async () => {
    const node = probedNode(() => refused);
    const old = { ...node.live, startedAt: new Date(Date.now() - 60_000).toISOString() };
    const failed = await settleWithin(observedHealth(node.runtime.transport, check(), old), 5_000);
    expect(failed.value?.state).toBe("unhealthy");
    expect(node.probes()).toBe(2);
    const fresh = { ...node.live, startedAt: new Date().toISOString() };
    const starting = await settleWithin(
      observedHealth(node.runtime.transport, check(30), fresh),
      5_000,
    );
    expect(starting.value?.state).toBe("starting");
  });

  it("a stopped workload or one without a check is not probed", async () => {
    const node = probedNode(() => refused, false);
    expect((await observedHealth(node.runtime.transport, check(), node.live)).state).toBe("exited");
    expect(
      (await observedHealth(node.runtime.transport, spec(), { ...node.live, running: true })).state,
    ).toBe("exited");
    expect(node.probes()).toBe(0);
  });
});
