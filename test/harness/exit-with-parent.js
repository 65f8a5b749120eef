// TEST TOOL — not shipped. Preloaded (node --require) into the dynamic-provider process started by
// dynamic-provider-process.ts: exits when the harness' end of stdin closes, i.e. when the test
// process is gone, even if it never called close(). Not something the Pulumi engine does.

process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
