// The unikernel part of the benchmark (issue 6): one unikernel component on node a, from `up`
// to the first HTTP 200 on its forwarded port, split into the runtime's phases (image pull, ELF
// extraction, ops build, QEMU start) plus the guest's boot; then the same for a redeploy of the
// unchanged digest (destroy, up again: the extracted ELF and the built image come from the node's
// caches). The node's QEMU acceleration is what test/fixtures/unikernel/setup.sh probed.
import { rmSync } from "node:fs";
import { request } from "node:http";
import type { DeployPhases } from "../provider/runtime/unikernel-runtime";
import {
  type BenchNode,
  type McpOptions,
  mcpContender,
  type Sample,
  type Setup,
} from "./contenders";
import { median, secs } from "./report-table";

// The runtime's own idea of where its caches are (the snapshot under test has the same file).
const { unikernelPaths } = require("../provider/runtime/unikernel-image") as {
  unikernelPaths(home: string): { elfCache: string; builds: string };
};

/** Host port of the VM's forward (to the test image's server on 8080, see bench/program). */
const HOST_PORT = 28990;
const POLL_MS = 50;
/** Per try: QEMU's user networking accepts before the guest listens and the first request hangs. */
const TRY_TIMEOUT_MS = 300;

export interface UnikernelFixture {
  images: { v1: string };
  accel: "kvm" | "tcg";
  accelReason: string;
}

export interface UnikernelSample {
  run: "first deploy" | "redeploy, same digest";
  rep: number;
  /** `up` start → its end. */
  upMs: number;
  /** `up` start → the first HTTP 200 through the forwarded port. */
  firstOkMs?: number;
  /** `up` start → the create reached the provider (the runner, the CLI and the engine starting). */
  toCreateMs?: number;
  phases?: DeployPhases;
  /** QEMU started → first HTTP 200: the guest's boot and the server's start. */
  bootMs?: number;
  note?: string;
}

function answers200(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: TRY_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** Polls `url` from now until `stop()`; resolves with when it first answered 200, if it did. */
function firstOk(url: string): { stop: () => void; result: Promise<number | undefined> } {
  let stopped = false;
  const result = (async () => {
    while (!stopped) {
      if (await answers200(url)) return Date.now();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return undefined;
  })();
  return {
    stop: () => {
      stopped = true;
    },
    result,
  };
}

async function timedUp(
  up: () => Promise<Sample>,
  run: UnikernelSample["run"],
  rep: number,
): Promise<UnikernelSample> {
  const poll = firstOk(`http://127.0.0.1:${HOST_PORT}/`);
  let sample: Sample;
  try {
    sample = await up();
  } finally {
    // Once `up` is done the VM has passed its readiness check: give the poller a moment.
    setTimeout(() => poll.stop(), 5_000);
  }
  const okAt = await poll.result;
  const phases = Object.values(sample.trace?.phases ?? {})[0];
  const create = sample.trace?.ops.find((op) => op.op === "create");
  return {
    run,
    rep,
    upMs: sample.ms,
    firstOkMs: okAt === undefined ? undefined : okAt - sample.t0,
    toCreateMs: create ? create.t0 - sample.t0 : undefined,
    phases,
    bootMs: okAt !== undefined && phases ? okAt - phases.bootedAt : undefined,
    note: sample.note ?? (okAt === undefined ? "never answered 200" : undefined),
  };
}

export async function unikernelTiming(
  setup: Setup,
  node: BenchNode,
  fixture: UnikernelFixture,
  options: Pick<McpOptions, "src" | "programDir" | "parallel"> & {
    n: number;
    /** The node's HOME on this machine, to empty the runtime's caches before a first deploy. */
    nodeHome?: string;
  },
): Promise<UnikernelSample[]> {
  const contender = mcpContender(
    { ...setup, servicePrefix: "benchuk" },
    {
      ...options,
      name: "unikernel",
      stack: "unikernel",
      count: 1,
      nodes: [{ ...node, portBase: HOST_PORT }],
      minUptime: 0,
      unikernel: { accel: fixture.accel },
    },
  );
  const image = fixture.images.v1;
  const samples: UnikernelSample[] = [];
  contender.reset?.();
  try {
    for (let rep = 1; rep <= options.n; rep += 1) {
      if (options.nodeHome) {
        const { elfCache, builds } = unikernelPaths(options.nodeHome);
        for (const dir of [elfCache, builds]) rmSync(dir, { recursive: true, force: true });
      }
      samples.push(await timedUp(() => contender.run("deploy", image, rep), "first deploy", rep));
      await contender.run("destroy", image, rep);
      samples.push(
        await timedUp(() => contender.run("deploy", image, rep), "redeploy, same digest", rep),
      );
      await contender.run("destroy", image, rep);
    }
  } catch (error) {
    await contender.run("destroy", image, 0).catch(() => undefined);
    throw error;
  }
  return samples;
}

/** Rows of the report's unikernel table: medians per kind of run. */
export function unikernelRows(samples: readonly UnikernelSample[]): string[][] {
  const kinds: UnikernelSample["run"][] = ["first deploy", "redeploy, same digest"];
  return kinds.flatMap((run) => {
    const ss = samples.filter((s) => s.run === run);
    if (ss.length === 0) return [];
    const m = (pick: (s: UnikernelSample) => number | undefined) =>
      secs(median(ss.map(pick).filter((v): v is number => v !== undefined)));
    const cached = ss[0]?.phases
      ? `${ss[0].phases.elfCached ? "ELF cached" : "ELF extracted"}, ${ss[0].phases.imageCached ? "image cached" : "image built"}`
      : "-";
    return [
      [
        run,
        m((s) => s.firstOkMs),
        m((s) => s.upMs),
        m((s) => s.toCreateMs),
        m((s) => s.phases?.pullMs),
        m((s) => s.phases?.extractMs),
        m((s) => s.phases?.buildMs),
        m((s) => s.bootMs),
        cached,
      ],
    ];
  });
}

export const UNIKERNEL_HEADER = [
  "unikernel component (node a)",
  "up → 1st HTTP 200",
  "up wall",
  "SDK start (to create)",
  "image pull",
  "ELF extraction",
  "ops build",
  "QEMU start → 200",
  "caches",
];
