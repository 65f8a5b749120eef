// Named exports, to show which shapes the closure serialiser turns into a `require`.

// The object is another module's `module.exports`: serialised as require("echo-provider/index.js").
exports.reexported = require("./index.js");

// A plain object literal: serialised by value (its code is copied into state).
exports.inline = {
  async create(inputs) {
    return { id: "inline", outs: { ...inputs, pid: process.pid } };
  },
};
