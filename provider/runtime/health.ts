import { healthProbe, PROBE_TIMED_OUT } from "../commands/health-probe";
import type { ComponentSpec } from "../spec/component";
import type { HealthCheck } from "../spec/healthcheck";
import type { CommandResult, Transport } from "../transport";
import type { LiveWorkload } from "./types";

/** One probe's outcome, as the error and the tests show it. */
export interface ProbeAnswer {
  passed: boolean;
  /** `HTTP/1.0 200 OK`, `cannot connect: Connection refused`, `exit 1: …`. */
  text: string;
  /** Seconds after the workload started. */
  at: number;
}

/** Answers kept for the error message. */
const KEPT_ANSWERS = 5;
/** How much of a probe's output one answer keeps. */
const ANSWER_CHARS = 200;

function printable(text: string): string {
  const flat = text.replace(/\p{Cc}+/gu, " ").trim();
  return flat.length > ANSWER_CHARS ? `${flat.slice(0, ANSWER_CHARS - 3)}...` : flat;
}

function lastLine(text: string): string {
  return (
    text
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .pop() ?? ""
  );
}

function describe(check: HealthCheck, kind: string, result: CommandResult): string {
  if (result.exitCode === PROBE_TIMED_OUT) return `no answer within ${check.timeout}s`;
  const out = lastLine(result.stdout);
  const err = lastLine(result.stderr);
  if (kind === "cmd") {
    const said = printable(err || out);
    return `exit ${result.exitCode}${said ? `: ${said}` : ""}`;
  }
  if (kind === "http" && out && result.exitCode !== 0 && check.http) {
    return `${printable(out)} (expected ${check.http.status})`;
  }
  return printable(result.exitCode === 0 ? out || "ok" : err || `exit ${result.exitCode}`);
}

/** Probes the workload's health check once; a transport failure (node unreachable) throws. */
export async function probeOnce(
  transport: Transport,
  spec: ComponentSpec,
  check: HealthCheck,
  name: string,
): Promise<{ passed: boolean; text: string }> {
  const probe = healthProbe(spec, check, name);
  // timeout(1) on the node bounds the probe; this bounds a node that does not answer at all.
  const result = await transport.run(probe.argv, { timeoutMs: (check.timeout + 10) * 1000 });
  return { passed: result.exitCode === 0, text: describe(check, probe.kind, result) };
}

/**
 * The health rule (Docker's): a probe every `interval`; the workload is
 * healthy while its last probe passed; failures within `startPeriod` of the
 * start do not count, and `retries` counted failures in a row make it
 * unhealthy.
 */
export class HealthWatch {
  private readonly answers: ProbeAnswer[] = [];
  private failuresInARow = 0;
  private lastProbeAt = Number.NEGATIVE_INFINITY;
  readonly what: string;

  constructor(
    private readonly transport: Transport,
    private readonly spec: ComponentSpec,
    readonly check: HealthCheck,
    private readonly name: string,
    /** When the workload started (epoch ms). */
    private startedAt = Date.now(),
  ) {
    this.what = healthProbe(spec, check, name).what;
  }

  /** Milliseconds until the next probe is due (0 when it is). */
  untilDue(now = Date.now()): number {
    return Math.max(0, this.lastProbeAt + this.check.interval * 1000 - now);
  }

  async probe(): Promise<ProbeAnswer> {
    this.lastProbeAt = Date.now();
    const { passed, text } = await probeOnce(this.transport, this.spec, this.check, this.name);
    const answer = { passed, text, at: (this.lastProbeAt - this.startedAt) / 1000 };
    this.answers.push(answer);
    if (this.answers.length > KEPT_ANSWERS) this.answers.shift();
    if (passed) this.failuresInARow = 0;
    else if (answer.at >= this.check.startPeriod) this.failuresInARow += 1;
    return answer;
  }

  get healthy(): boolean {
    return this.answers.at(-1)?.passed === true;
  }

  get unhealthy(): boolean {
    return this.failuresInARow >= this.check.retries;
  }

  /** Undefined when healthy, else why not (for "not ready: …"). */
  notReady(): string | undefined {
    if (this.healthy) return undefined;
    const last = this.answers.at(-1);
    return `health check ${this.what}: ${last ? last.text : "not probed yet"}`;
  }

  /** The last answers, one per line, for an error. */
  lastAnswers(): string {
    const lines = this.answers.map(
      (answer) =>
        `  after ${answer.at.toFixed(1)}s: ${answer.passed ? "passed" : "failed"}: ${answer.text}`,
    );
    return `last health check answers (${this.what}):\n${lines.join("\n") || "  (none)"}`;
  }

  /** Why the deploy gives up on an unhealthy workload. */
  failure(): string {
    const { interval, retries, startPeriod } = this.check;
    return `${this.name} failed its health check ${retries} time(s) in a row (every ${interval}s, after a ${startPeriod}s start period)\n${this.lastAnswers()}`;
  }
}

/**
 * The state a refresh reports: "unhealthy" for a running workload whose
 * check fails `retries` times in a row (probed `interval` apart; a healthy
 * one costs one probe), "starting" while such failures fall in its start
 * period, else what the node said.
 */
export async function observedHealth(
  transport: Transport,
  spec: ComponentSpec,
  live: LiveWorkload,
): Promise<LiveWorkload> {
  const check = spec.healthcheck;
  if (!check || !live.running) return live;
  const started = Date.parse(live.startedAt);
  const watch = new HealthWatch(
    transport,
    spec,
    check,
    live.name,
    Number.isNaN(started) ? 0 : started,
  );
  for (let attempt = 1; ; attempt += 1) {
    const answer = await watch.probe();
    if (answer.passed) return live;
    if (watch.unhealthy) return { ...live, state: "unhealthy" };
    if (attempt >= check.retries) return { ...live, state: "starting" };
    await new Promise((resolve) => setTimeout(resolve, watch.untilDue()));
  }
}
