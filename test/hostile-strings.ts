// Test data shared by the hostile-input tests: strings built to hurt a shell.
import fc from "fast-check";

/** Shell metacharacters and quoting, each a piece of a hostile string (no NUL). */
export const METACHARACTERS = [
  "'",
  '"',
  "$(",
  ")",
  "`",
  ";",
  "|",
  "&",
  "\\",
  "\n",
  " ",
  "*",
  "$HOME",
  ">",
  "<",
  "#",
  "~",
  "-",
  "!",
];

/** File names built to hurt (no "/"): quotes, a newline, leading dashes, beyond 100 bytes, every metacharacter. */
export const HOSTILE_FILE_NAMES = [
  "with space.txt",
  "it's.txt",
  'double"quote.txt',
  "new\nline.txt",
  "-rf",
  "--file=evil",
  `${"long-".repeat(30)}.txt`,
  `meta ${METACHARACTERS.join("")} end`,
];

/** Commands that would create `canary` if any shell ever ran them. */
export function canaryCommands(canary: string): string[] {
  return [
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `; touch ${canary}`,
    `' ; touch ${canary} ; '`,
  ];
}

/** Hostile strings without NUL: metacharacters, canary commands and arbitrary text mixed. */
export function hostileString(canary: string): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.constantFrom(...METACHARACTERS),
    fc.constantFrom(...canaryCommands(canary)),
    fc.string({ unit: "grapheme", maxLength: 5 }),
  );
  return fc.array(piece, { maxLength: 8 }).map((parts) => parts.join("").replaceAll("\0", ""));
}
