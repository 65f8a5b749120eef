// TEST AND BENCH ONLY. Runs `patch(exports)` once, when `request` (a bare module name, such as
// "ssh2") is first required in this process, by anyone: the preloads watch a module without
// loading it themselves, so a process that never needs it (pulumi-mcp's provider in a no-change
// run never loads ssh2) is watched as it runs.
const Module = require("node:module");

function onFirstLoad(request, patch) {
  const load = Module._load;
  let done = false;
  Module._load = function watchedLoad(name, ...rest) {
    const exports = load.call(this, name, ...rest);
    if (!done && name === request) {
      done = true;
      patch(exports);
    }
    return exports;
  };
}

module.exports = { onFirstLoad };
