// TEST ONLY (e2e). Preloaded (NODE_OPTIONS=--require) into the dynamic-provider process the test
// engine starts. When the engine ends the process (SIGTERM), prints the transport's per-node
// counters of the installed pulumi-mcp as one line,
//   pulumi-mcp counters {"root@127.0.0.1:22022":{"handshakes":1,...}}
// closes its pooled SSH connections (so PULUMI_MCP_TRACE=1 prints its own lines too) and exits.
// An empty object means the process never opened an SSH connection. Not something Pulumi does.

const { createRequire } = require("node:module");
const path = require("node:path");

process.once("SIGTERM", () => {
  let transport;
  try {
    // From the program's own package scope, as the provider resolved it (resolving from this
    // file would self-reference the repository's package.json "exports" and load another copy).
    const programRequire = createRequire(path.join(process.cwd(), "package.json"));
    const entry = programRequire.resolve("pulumi-mcp/dist/transport/index.js");
    process.stderr.write(`pulumi-mcp counters module ${entry}\n`);
    transport = programRequire(entry);
  } catch (error) {
    process.stderr.write(`pulumi-mcp counters unavailable: ${error.message}\n`);
    process.exit(0);
  }
  const counters = Object.fromEntries(transport.allCounters());
  process.stderr.write(`pulumi-mcp counters ${JSON.stringify(counters)}\n`);
  const done = () => process.exit(0);
  setTimeout(done, 1_000).unref();
  Promise.resolve(transport.closeAllConnections()).then(() => setTimeout(done, 50), done);
});
