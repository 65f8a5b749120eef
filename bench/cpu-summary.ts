// BENCH ONLY. Where a profiled run's CPU went (bench/cpu-profile.js): for each .cpuprofile, the
// samples' self time by owner — ours (pulumi-mcp's dist/ and its dependencies zod, ssh2), the
// Pulumi SDK (@pulumi/pulumi), gRPC (@grpc/grpc-js), protobuf (google-protobuf), the TypeScript
// transpiler (ts-node/typescript: the program's own load), other node_modules, Node itself,
// garbage collection, idle — and the functions with the most self time. Counts samples, so the
// shares do not depend on the machine's speed; the milliseconds do.
//
//   npx ts-node --transpile-only bench/cpu-summary.ts DIR_OR_FILE… [--top 15]

import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function owner(url: string, fn: string): string {
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(idle)") return "idle";
  if (fn === "(program)" || fn === "(root)") return "V8/native";
  if (!url) return "V8/native";
  if (url.startsWith("node:")) return "Node";
  if (
    /pulumi-mcp[/\\]dist|[/\\]dist[/\\](resources|runtime|spec|diff|commands|transport)[/\\]/.test(
      url,
    )
  )
    return "ours (pulumi-mcp)";
  if (/node_modules[/\\](zod|ssh2)[/\\]/.test(url)) return "ours (zod, ssh2)";
  if (/node_modules[/\\]@pulumi[/\\]pulumi[/\\]/.test(url)) return "Pulumi SDK";
  if (/node_modules[/\\]@grpc[/\\]/.test(url)) return "gRPC";
  if (/node_modules[/\\]google-protobuf[/\\]/.test(url)) return "protobuf";
  if (/node_modules[/\\](typescript|ts-node)[/\\]/.test(url)) return "TypeScript/ts-node";
  if (/node_modules[/\\]/.test(url))
    return `other: ${/node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)/.exec(url)?.[1]}`;
  return `other: ${path.basename(url)}`;
}

function summarise(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const who = owner(url, functionName);
    owners.set(who, (owners.get(who) ?? 0) + us);
    if (who !== "idle") {
      const key = `${functionName || "(anonymous)"} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ""} [${who}]`;
      functions.set(key, (functions.get(key) ?? 0) + us);
    }
    total += us;
  }
  const busy = total - (owners.get("idle") ?? 0);
  const ms = (us: number) => (us / 1000).toFixed(0).padStart(6);
  const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
  const lines = [
    `${path.basename(file)}: ${(total / 1000).toFixed(0)} ms profiled, ${(busy / 1000).toFixed(0)} ms busy (not idle), ${profile.samples.length} samples`,
    ...[...owners]
      .filter(([k, us]) => k !== "idle" && us >= busy / 200)
      .sort((a, b) => b[1] - a[1])
      .map(([k, us]) => `  ${ms(us)} ms ${pct(us)}  ${k}`),
    `  (owners under 0.5% each: ${ms([...owners].filter(([k, us]) => k !== "idle" && us < busy / 200).reduce((sum, [, us]) => sum + us, 0))} ms)`,
    `  top ${top} functions by self time:`,
    ...[...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${ms(us)} ms ${pct(us)}  ${k}`),
  ];
  return lines.join("\n");
}

const argv = process.argv.slice(2);
const topAt = argv.indexOf("--top");
const top = topAt >= 0 ? Number(argv.splice(topAt, 2)[1]) : 15;
const files = argv.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => path.join(p, f))
    : [p],
);
for (const f of files) process.stdout.write(`${summarise(f, top)}\n\n`);
