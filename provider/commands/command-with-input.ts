/** An argv with the bytes to feed its standard input. */
export interface CommandWithInput {
  argv: string[];
  stdin?: string;
}
