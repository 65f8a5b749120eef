import type {
  CommandResult,
  HeldCommand,
  RunOptions,
  Transport,
} from "../../../provider/transport";

/** What the fake node answers for one command. */
export type Answer = (argv: readonly string[], options?: RunOptions) => CommandResult;

export const ok = (stdout = ""): CommandResult => ({ exitCode: 0, stdout, stderr: "" });

/**
 * A transport that runs nothing: it records each argv (joined by spaces) and
 * answers with `answer`. `ready` resolves when `connect()` is called, or at
 * once when `connected` is true.
 */
export class FakeTransport implements Transport {
  readonly commands: string[] = [];
  private connected: Promise<void>;
  connect: () => void = () => {};

  constructor(
    readonly label: string,
    private readonly answer: Answer = () => ok(),
    connected = true,
  ) {
    this.connected = connected
      ? Promise.resolve()
      : new Promise((resolve) => {
          this.connect = resolve;
        });
  }

  async run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    this.commands.push(argv.join(" "));
    return this.answer(argv, options);
  }

  ready(): Promise<void> {
    return this.connected;
  }

  hold(): Promise<HeldCommand> {
    throw new Error("the fake transport holds no command");
  }
}

let labels = 0;
/** A label no other fake node has: the batchers and pull-once keep their state per label. */
export function uniqueLabel(prefix = "fake-node"): string {
  labels += 1;
  return `${prefix}-${labels}`;
}
