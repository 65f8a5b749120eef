// BENCH ONLY. The dynamic provider of the sdk-null contender (bench/README.md, Contenders): it does
// no work, so a run of it costs what the Pulumi SDK and engine cost per resource, and pulumi-mcp's
// run minus its run is ours. run.sh installs this file into the bench program as the package
// `bench-null-provider`, a real copy in node_modules as pulumi-mcp is: the SDK serialises it as a
// bare `require("bench-null-provider…")` and the provider process loads it as it loads ours. The
// module's whole export is the provider (what makes the SDK serialise it as a require).
const { isDeepStrictEqual } = require("node:util");

module.exports = {
  check: async (_olds, news) => ({ inputs: news }),
  // olds = the last outputs (the inputs, see create), news = what check returned.
  diff: async (_id, olds, news) => ({ changes: !isDeepStrictEqual(olds, news) }),
  create: async (inputs) => ({ id: `${inputs.service}-${inputs.name}`, outs: inputs }),
  update: async (_id, _olds, news) => ({ outs: news }),
  delete: async () => {},
  read: async (id, props) => ({ id, props }),
};
