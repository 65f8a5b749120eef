import type { Progress } from "../runtime";

/**
 * Progress lines where the real CLI shows them. The engine prints every line
 * the dynamic-provider process writes after its port (stdout as info, stderr
 * as info on stderr; pkg/resource/plugin/plugin.go's runtrace), without a
 * URN, so they show under the stack's row and in its Diagnostics: the SDK
 * does not hand a dynamic provider its resource's URN, and `pulumi.log` has
 * no engine connection in that process (it falls back to stdout). Each line
 * names its workload. `PULUMI_MCP_PROGRESS=0` turns them off.
 */
export const progressLines: Progress = (workload, step) => {
  if (process.env.PULUMI_MCP_PROGRESS === "0") return;
  process.stderr.write(`pulumi-mcp: ${workload}: ${step}\n`);
};

/** A line the user must see (drift, a check that could not be made): never turned off. */
export function noticeLine(workload: string, text: string): void {
  process.stderr.write(`pulumi-mcp: ${workload}: ${text}\n`);
}
