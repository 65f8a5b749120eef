// TEST ENGINE SELF-TEST — not shipped. Declares the resources the `plan` config lists, each a
// dynamic resource of engine-fake-provider, in order; `dependsOn` names earlier ones.
const pulumi = require("@pulumi/pulumi");
const provider = require("engine-fake-provider");

class Fake extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(
      provider,
      name,
      { ...args, echoToken: undefined, zoneSeen: undefined },
      opts,
      "selftest",
      "Fake",
    );
  }
}

const cfg = new pulumi.Config();
const log = cfg.require("log");
const plan = JSON.parse(cfg.require("plan"));
if (cfg.getBoolean("reject")) Promise.reject(new Error("an unhandled rejection in the program"));

const made = {};
for (const r of plan) {
  const token = r.secret ? cfg.requireSecret("token") : undefined;
  made[r.name] = new Fake(
    r.name,
    {
      log,
      name: r.name,
      zone: r.zone,
      value: r.value ?? "v",
      token,
      dbr: r.dbr,
      failPartial: r.failPartial,
    },
    {
      dependsOn: (r.dependsOn ?? []).map((n) => made[n]),
      additionalSecretOutputs: r.secretOutputs ?? [],
    },
  );
}

module.exports = Object.fromEntries(Object.entries(made).map(([n, r]) => [n, r.zoneSeen]));
