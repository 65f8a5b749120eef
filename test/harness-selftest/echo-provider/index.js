// Fake dynamic provider for test/harness-selftest: echoes its inputs and reports the pid of the
// process it runs in. Copied into a temp program's node_modules at test time.

const fs = require("node:fs");

module.exports = {
  async configure(req) {
    this.greeting = req.config.get("selftest:greeting");
    this.token = req.config.get("selftest:token");
  },

  async check(_olds, news) {
    const failures =
      typeof news.message === "string"
        ? []
        : [{ property: "message", reason: "message must be a string" }];
    return { inputs: { ...news, checked: true }, failures };
  },

  async diff(_id, olds, news) {
    const replaces = olds.size === news.size ? [] : ["size"];
    const changes = replaces.length > 0 || olds.message !== news.message;
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs) {
    if (inputs.failWith) throw new Error(inputs.failWith);
    if (inputs.partial) {
      throw Object.assign(new Error("half made"), {
        id: "echo-partial",
        properties: { message: inputs.message, state: "broken" },
        reasons: ["did not become ready"],
      });
    }
    const outs = {
      ...inputs,
      pid: process.pid,
      greeting: this.greeting ?? null,
      tokenSeen: this.token === "s3cret",
      passwordType: typeof inputs.password,
    };
    if (inputs.undefinedOutput) outs.missing = undefined;
    return { id: `echo-${inputs.message}`, outs };
  },

  async read(id, props) {
    if (id === "echo-gone") return { id: "", props: {} };
    return { id, props: { ...props, readPid: process.pid }, inputs: { message: props.message } };
  },

  async update(_id, olds, news) {
    return { outs: { ...news, pid: process.pid, updatedFrom: olds.message } };
  },

  async delete(id, props) {
    if (props.failDelete) throw new Error(`cannot delete ${id}`);
    if (props.deleteMarker) fs.writeFileSync(props.deleteMarker, `${id} ${process.pid}`);
  },
};
