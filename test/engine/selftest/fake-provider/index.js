// TEST ENGINE SELF-TEST — not shipped. A dynamic provider that touches nothing but a log file: it
// appends one JSON line per create/update/delete, so tests can see what the engine called and in
// which order. `zone` forces a replacement (deleting first when `dbr`), `failPartial` makes create
// throw a partial-create error (with id and properties), and a file `<log>.gone.<name>` makes
// read report the resource gone. This module's export is the provider itself, so it serialises as
// `require("engine-fake-provider/index.js")`.

const fs = require("node:fs");

function record(props, op) {
  fs.appendFileSync(props.log, `${JSON.stringify({ op, name: props.name, zone: props.zone })}\n`);
}

function outs(props) {
  return { ...props, echoToken: props.token ?? "", zoneSeen: props.zone };
}

module.exports = {
  async check(_olds, news) {
    if (news.zone === "invalid")
      return {
        inputs: news,
        failures: [{ property: "zone", reason: 'zone = "invalid" is not a zone' }],
      };
    return { inputs: news };
  },
  async diff(_id, olds, news) {
    const changed = ["zone", "value", "token"].filter(
      (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
    );
    return {
      changes: changed.length > 0,
      replaces: changed.includes("zone") ? ["zone"] : [],
      deleteBeforeReplace: news.dbr === true,
    };
  },
  async create(props) {
    record(props, "create");
    if (props.failPartial) {
      const error = new Error(`${props.name} was created but did not start`);
      error.id = `${props.name}-${props.zone}`;
      error.properties = outs(props);
      error.reasons = ["did not start"];
      throw error;
    }
    return { id: `${props.name}-${props.zone}`, outs: outs(props) };
  },
  async update(_id, _olds, news) {
    record(news, "update");
    return { outs: outs(news) };
  },
  async read(id, props) {
    if (fs.existsSync(`${props.log}.gone.${props.name}`)) return { id: "" };
    return { id, props: { ...props, value: `${props.value}-observed` } };
  },
  async delete(_id, props) {
    record(props, "delete");
  },
};
