// BENCH ONLY. The fleet-size curve (issue 18): reads the results JSON that bench.ts wrote for
// each size (bench/run.sh --sizes), prints one Markdown table of time against components per
// node for each contender and scenario with the ratios, and writes the same figures as
// CSV and JSON, plus a PNG plot drawn by gnuplot from that CSV.
//
//   npx ts-node --transpile-only bench/curve.ts --out-prefix bench/.work/curve-<time> \
//     [--png bench/fleet-curve.png] results-…-20.json results-…-50.json …

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import type { Sample, Scenario } from "./contenders";
import { median, secs, table } from "./report-table";

interface Results {
  args: { count: number; n: number };
  setup: { nodes: { label: string }[] };
  samples: Sample[];
  report: string;
}

/** One point of the curve: a contender's median for one scenario at one size. */
interface Point {
  perNode: number;
  contender: string;
  scenario: Scenario;
  /** Median wall seconds (pulumi-mcp: test/cli's whole run). */
  seconds: number;
  /** pulumi-mcp: the `pulumi up|preview|refresh|destroy` command alone. */
  cliOpSeconds?: number;
  /** Exec channels / sessions per node, summed over the nodes (median). */
  channels?: number;
  samples: number;
}

const OPERATIONS = ["preview", "up", "refresh", "destroy"];
const CONTENDER: Record<string, string> = {
  floor: "floor",
  "pulumi-mcp minUptime=0": "pulumi-mcp",
  "pulumi-mcp (default minUptime=2)": "pulumi-mcp minUptime 2",
  "sdk-null": "null provider",
  ansible: "Ansible",
};

function points(results: Results): Point[] {
  const out: Point[] = [];
  const groups = new Map<string, Sample[]>();
  for (const s of results.samples) {
    const contender =
      s.scenario === "empty" ? "empty program" : (CONTENDER[s.contender] ?? s.contender);
    const key = `${contender}\0${s.scenario}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, ss] of groups) {
    const [contender, scenario] = key.split("\0") as [string, Scenario];
    const ops = ss.flatMap((s) => {
      const c = s.program?.commands.find((x) => OPERATIONS.includes(x.args));
      return c?.t1 === undefined ? [] : [c.t1 - c.t0];
    });
    const channels = ss.every((s) => s.nodes)
      ? median(ss.map((s) => Object.values(s.nodes ?? {}).reduce((n, c) => n + c.channels, 0)))
      : undefined;
    out.push({
      perNode: results.args.count,
      contender,
      scenario: scenario === "empty" ? "nochange" : scenario,
      seconds: median(ss.map((s) => s.ms)) / 1000,
      cliOpSeconds: ops.length ? median(ops) / 1000 : undefined,
      channels,
      samples: ss.length,
    });
  }
  return out;
}

function main(): void {
  const argv = process.argv.slice(2);
  const take = (flag: string) => {
    const at = argv.indexOf(flag);
    if (at < 0) return undefined;
    const [value] = argv.splice(at, 2).slice(1);
    return value;
  };
  const prefix = take("--out-prefix");
  const png = take("--png");
  if (!prefix || argv.length === 0)
    throw new Error("usage: curve.ts --out-prefix P [--png F] results.json …");
  const all = argv.map((f) => JSON.parse(readFileSync(f, "utf8")) as Results);
  const pts = all.flatMap(points).sort((a, b) => a.perNode - b.perNode);
  const nodes = all[0]?.setup.nodes.length ?? 2;
  const sizes = [...new Set(pts.map((p) => p.perNode))];
  const at = (contender: string, scenario: Scenario, size: number) =>
    pts.find((p) => p.contender === contender && p.scenario === scenario && p.perNode === size);

  // ----- the table -----
  const scenarios: [Scenario, string][] = [
    ["deploy", "deploy"],
    ["preview", "no-change preview"],
    ["nochange", "no-change up"],
    ["bump", "bump v1→v2"],
    ["refresh", "refresh"],
    ["destroy", "destroy"],
  ];
  const rows: string[][] = [];
  const s = (p?: Point) => (p ? secs(p.seconds * 1000) : "-");
  for (const [sc, label] of scenarios) {
    for (const size of sizes) {
      const floor = at("floor", sc, size);
      const ours = at("pulumi-mcp", sc, size);
      const ansible = at("Ansible", sc, size);
      const empty = at("empty program", "nochange", size);
      const none = at("null provider", sc, size);
      if (!ours && !floor && !ansible) continue;
      const base = floor && empty ? floor.seconds + empty.seconds : undefined;
      const vsBase =
        ours && base && ["deploy", "bump", "destroy"].includes(sc)
          ? `${(ours.seconds / base).toFixed(2)}×`
          : "-";
      const perComponent = (base?: Point) =>
        ours && base
          ? `${(((ours.seconds - base.seconds) * 1000) / (size * nodes)).toFixed(1)} ms`
          : "-";
      const withOp = (p?: Point) =>
        p ? `${s(p)} (${p.cliOpSeconds === undefined ? "-" : secs(p.cliOpSeconds * 1000)})` : "-";
      rows.push([
        `${label} @${size}`,
        s(floor),
        withOp(ours),
        s(ansible),
        sc === "nochange" || sc === "preview" ? s(empty) : "-",
        withOp(none),
        vsBase,
        perComponent(sc === "nochange" || sc === "preview" ? empty : undefined),
        perComponent(none),
        ours && ansible ? `${(ansible.seconds / ours.seconds).toFixed(1)}×` : "-",
        ours?.channels === undefined ? "-" : String(ours.channels),
        floor?.channels === undefined ? "-" : String(floor.channels),
      ]);
    }
  }
  const header = [
    "scenario @components per node",
    "floor",
    "pulumi-mcp wall (CLI op)",
    "Ansible",
    "empty program",
    "null provider wall (CLI op)",
    "mcp ÷ (floor + empty)",
    "(mcp − empty) per component",
    "(mcp − null) per component",
    "Ansible ÷ mcp",
    "mcp channels",
    "floor sessions",
  ];
  const text = [
    `Fleet curve: ${nodes} nodes, ${sizes.join(", ")} components per node; median seconds over ${[...new Set(all.map((r) => r.args.n))].join("/")} repetition(s).`,
    "pulumi-mcp = minUptime 0 through the real CLI (test/cli's whole run; the `pulumi` operation alone in brackets); empty program = the same path declaring nothing;",
    "null provider = sdk-null, the same resources and path with a provider that does nothing (the SDK's and the engine's cost): mcp − null is ours;",
    "channels = exec channels (sessions) of both nodes together.",
    table(header, rows),
  ].join("\n");
  process.stdout.write(`${text}\n`);

  // ----- the data -----
  writeFileSync(`${prefix}.json`, JSON.stringify(pts, null, 1));
  const csv = [
    "per_node,contender,scenario,seconds,cli_op_seconds,channels,samples",
    ...pts.map((p) =>
      [
        p.perNode,
        JSON.stringify(p.contender),
        p.scenario,
        p.seconds,
        p.cliOpSeconds ?? "",
        p.channels ?? "",
        p.samples,
      ].join(","),
    ),
  ].join("\n");
  writeFileSync(`${prefix}.csv`, `${csv}\n`);
  writeFileSync(`${prefix}.md`, `${text}\n`);

  // ----- the plot -----
  if (!png) return;
  const contenders = ["floor", "pulumi-mcp", "Ansible", "empty program", "null provider"];
  const panels: [Scenario, string][] = [
    ["deploy", "deploy"],
    ["nochange", "no-change re-run"],
    ["bump", "version bump"],
    ["destroy", "destroy"],
    ["refresh", "refresh"],
  ];
  // One data block per panel and contender: "size seconds" lines, blocks separated by two blank lines.
  const blocks: string[] = [];
  const plots: string[] = [];
  let index = 0;
  for (const [sc, title] of panels) {
    const lines: string[] = [];
    for (const c of contenders) {
      const data = sizes.flatMap((size) => {
        const p = at(c, sc, size);
        return p ? [`${size} ${p.seconds}`] : [];
      });
      if (data.length === 0) continue;
      blocks.push(`# ${title} / ${c}\n${data.join("\n")}`);
      lines.push(`dat index ${index} with linespoints lw 2 title "${c}"`);
      index += 1;
    }
    plots.push(`set title "${title}"\nplot ${lines.join(", ")}`);
  }
  const dat = `${prefix}.dat`;
  writeFileSync(dat, `${blocks.join("\n\n\n")}\n`);
  const script = [
    `set terminal pngcairo size 1500,900 font ",10"`,
    `set output "${png}"`,
    `dat = "${dat}"`,
    `set multiplot layout 2,3 title "pulumi-mcp vs floor vs Ansible, ${nodes} nodes (from ${dat.split("/").pop()})"`,
    `set xlabel "components per node"`,
    `set ylabel "seconds"`,
    `set key top left`,
    `set grid`,
    `set xtics (${sizes.join(", ")})`,
    `set yrange [0:*]`,
    ...plots,
    "unset multiplot",
  ].join("\n");
  writeFileSync(`${prefix}.gp`, `${script}\n`);
  try {
    execFileSync("gnuplot", [`${prefix}.gp`], { stdio: ["ignore", "inherit", "inherit"] });
    process.stderr.write(`[bench] plot: ${png}\n`);
  } catch (error) {
    process.stderr.write(`[bench] no plot (gnuplot: ${(error as Error).message})\n`);
    process.exitCode = 1;
  }
}

main();
