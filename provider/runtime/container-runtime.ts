import {
  podmanInspect,
  podmanListManaged,
  podmanLogs,
  podmanPull,
  podmanRemove,
  podmanRename,
  podmanRun,
  podmanStart,
  podmanStop,
} from "../commands/podman";
import type { ComponentSpec } from "../spec/component";
import type { Transport } from "../transport";
import { ensureSuccess } from "./command-error";
import { parsePodmanInspect } from "./podman-inspect";
import type { LiveWorkload, WorkloadRuntime } from "./types";

const REMOVE_ATTEMPTS = 5;

/** MCP's runtime operations over podman on one node. */
export class ContainerRuntime implements WorkloadRuntime {
  constructor(readonly transport: Transport) {}

  /** Pulls the image; a tag that does not exist fails here, before anything runs. */
  async pull(spec: ComponentSpec): Promise<void> {
    ensureSuccess(`podman pull ${spec.image}`, await this.transport.run(podmanPull(spec.image)));
  }

  /** Creates and starts the container. A container podman created but could not start is removed. */
  async run(spec: ComponentSpec, name: string, specHash: string): Promise<void> {
    const { argv, stdin } = podmanRun(spec, { name, specHash });
    const result = await this.transport.run(argv, { stdin });
    if (result.exitCode !== 0) {
      await this.remove(name, 0);
      ensureSuccess(`podman run ${name}`, result);
    }
  }

  async start(name: string): Promise<void> {
    ensureSuccess(`podman start ${name}`, await this.transport.run(podmanStart(name)));
  }

  async stop(name: string, timeoutSeconds: number): Promise<void> {
    ensureSuccess(
      `podman stop ${name}`,
      await this.transport.run(podmanStop(name, timeoutSeconds)),
    );
  }

  /** Removes the container if it exists. Never removes volumes or their host directories. */
  async remove(name: string, timeoutSeconds: number): Promise<void> {
    // podman refuses now and then while a restart policy is restarting the
    // container ("container state improper"): try again, a bounded number of times.
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.transport.run(podmanRemove(name, timeoutSeconds));
      if (result.exitCode === 0) return;
      if (attempt >= REMOVE_ATTEMPTS) ensureSuccess(`podman rm ${name}`, result);
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }

  async rename(from: string, to: string): Promise<void> {
    ensureSuccess(`podman rename ${from} ${to}`, await this.transport.run(podmanRename(from, to)));
  }

  /** The live container, or undefined when there is none by that name. */
  async inspect(name: string): Promise<LiveWorkload | undefined> {
    const result = await this.transport.run(podmanInspect([name]));
    if (result.exitCode !== 0) {
      if (/no such (container|object)/i.test(result.stderr)) return undefined;
      ensureSuccess(`podman container inspect ${name}`, result);
    }
    return parsePodmanInspect(result.stdout)[0];
  }

  /** Every container pulumi-mcp manages on this node. */
  async list(): Promise<LiveWorkload[]> {
    const listed = ensureSuccess("podman ps", await this.transport.run(podmanListManaged()));
    const names = (JSON.parse(listed.stdout || "[]") as { Names?: string[] }[])
      .map((entry) => entry.Names?.[0])
      .filter((name): name is string => Boolean(name));
    if (names.length === 0) return [];
    const inspected = ensureSuccess(
      "podman container inspect",
      await this.transport.run(podmanInspect(names)),
    );
    return parsePodmanInspect(inspected.stdout);
  }

  /** The last lines of the container's output (stdout and stderr), or a note why there are none. */
  async logs(name: string, lines: number): Promise<string> {
    const result = await this.transport.run(podmanLogs(name, lines));
    if (result.exitCode !== 0) return `(no log: ${result.stderr.trim()})`;
    return `${result.stdout}${result.stderr}`.trimEnd();
  }
}
