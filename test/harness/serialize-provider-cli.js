#!/usr/bin/env node
// TEST TOOL — not shipped. Prints the `__provider` text that @pulumi/pulumi's dynamic Resource
// would put into state for a provider object, computed in a plain node process (under vitest the
// text differs: see /work/shared/ENGINE-HARNESS.md).
//
//   cd <program-dir> && node serialize-provider-cli.js <module> [exportName] [--via=MODE]
//
// <module> is resolved from the cwd like a program's `require` (a package name, or a path
// starting with "." or "/"). Without exportName the provider is the module's `module.exports`.
// Output: one JSON line `{"text": "...", "containsSecrets": bool, "via": MODE}` on stdout.
//
// MODE "dynamicResource" (default) constructs a real `pulumi.dynamic.Resource` under
// `pulumi.runtime.setMocks` and reports the `__provider` input the mock monitor receives: the
// SDK's own code path, byte for byte. MODE "serializeFunction" repeats what
// dynamic/index.js#serializeFunctionMaybeSecret does:
//   serializeFunction(() => provider, { allowSecrets: true })
// (the captured variable must be named `provider`: its name is part of the text).

const path = require("node:path");

function fail(err) {
  process.stderr.write(`serialize-provider-cli: ${err?.stack ?? String(err)}\n`);
  process.exit(1);
}
// A serialisation failure inside the SDK surfaces only as an unhandled rejection.
process.on("unhandledRejection", fail);
process.on("uncaughtException", fail);

// Resolve as the program itself would: from its own directory and package scope. (Resolving
// from this file would let a package.json with "exports" up the tree self-reference.)
const { createRequire } = require("node:module");
const programRequire = createRequire(path.join(process.cwd(), "package.json"));

function fromCwd(spec) {
  const request = spec.startsWith(".") || path.isAbsolute(spec) ? path.resolve(spec) : spec;
  return programRequire.resolve(request);
}

function loadProvider(moduleSpec, exportName) {
  const mod = require(fromCwd(moduleSpec));
  const provider = exportName === undefined ? mod : mod[exportName];
  if (provider === null || typeof provider !== "object") {
    throw new Error(`${moduleSpec}${exportName ? `#${exportName}` : ""} is not a provider object`);
  }
  return provider;
}

function print(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

async function viaSerializeFunction(provider) {
  const sc = require(fromCwd("@pulumi/pulumi/runtime/closure/serializeClosure"));
  const sf = await sc.serializeFunction(() => provider, { allowSecrets: true });
  return { text: sf.text, containsSecrets: sf.containsSecrets };
}

async function viaDynamicResource(provider) {
  const pulumi = require(fromCwd("@pulumi/pulumi"));
  let received;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        received = args.inputs.__provider;
        return { id: "serialize-provider-cli", state: {} };
      },
      call() {
        return {};
      },
    },
    "project",
    "stack",
    false,
  );
  const res = new pulumi.dynamic.Resource(provider, "serialize-provider-cli", {});
  await new Promise((resolve) => res.urn.apply(resolve));
  if (typeof received === "string") return { text: received, containsSecrets: false };
  // A provider that captured secrets arrives as a secret-wrapped string.
  const secretSig = pulumi.runtime.specialSecretSig;
  if (
    received?.[pulumi.runtime.specialSigKey] === secretSig &&
    typeof received.value === "string"
  ) {
    return { text: received.value, containsSecrets: true };
  }
  throw new Error(`unexpected __provider input: ${JSON.stringify(received)}`);
}

async function main(argv) {
  const flags = argv.filter((a) => a.startsWith("--"));
  const [moduleSpec, exportName, ...rest] = argv.filter((a) => !a.startsWith("--"));
  const via = (flags.find((f) => f.startsWith("--via=")) ?? "--via=dynamicResource").slice(6);
  if (!moduleSpec || rest.length > 0 || !["dynamicResource", "serializeFunction"].includes(via)) {
    throw new Error(
      "usage: node serialize-provider-cli.js <module> [exportName] [--via=dynamicResource|serializeFunction]",
    );
  }
  const provider = loadProvider(moduleSpec, exportName);
  const result =
    via === "serializeFunction"
      ? await viaSerializeFunction(provider)
      : await viaDynamicResource(provider);
  print({ ...result, via });
}

main(process.argv.slice(2)).catch(fail);
