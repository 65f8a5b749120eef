// TEST ONLY. Preloaded (NODE_OPTIONS=--require) into the processes the real Pulumi CLI starts;
// does something only in the SDK's dynamic-provider process (where pulumi-mcp runs), and there
// appends a line to $PULUMI_MCP_TEST_PROBE_LOG, synchronously, before each event happens:
//   connect <host>:<port>     every outgoing TCP connect (one to anything but loopback is refused
//                             at once: no DNS lookup, no packet)
//   handshake <host>:<port>   every SSH handshake ssh2 completes (jumped nodes too)
//   exec <host>:<port> <cmd>  every command run on an exec channel (env values are never on a
//                             command line, so none is written here)
//   spawn <argv>              every process started here (child_process.spawn: execa's, so the
//                             commands of `local: true` nodes)
// so a test can prove which nodes a run contacted and how many SSH connections it made, whatever
// way the CLI ends the process. Not something Pulumi does.

const { appendFileSync } = require("node:fs");

const log = process.env.PULUMI_MCP_TEST_PROBE_LOG;
const isProvider = /cmd[/\\]dynamic-provider([/\\]index\.js)?$/.test(process.argv[1] ?? "");

if (log && isProvider) {
  const write = (line) => appendFileSync(log, `${line}\n`);
  const net = require("node:net");
  const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|localhost)$/;

  /** [host, port] of the forms net.Socket#connect takes; undefined for a unix socket path. */
  const target = (args) => {
    const [first, second] = args;
    if (first && typeof first === "object") {
      if (first.path !== undefined) return undefined;
      return [first.host ?? "localhost", first.port];
    }
    if (typeof first === "string" && !/^\d+$/.test(first)) return undefined;
    return [typeof second === "string" ? second : "localhost", first];
  };

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const to = target(Array.isArray(args[0]) ? args[0] : args);
    if (to) {
      const [host, port] = to;
      write(`connect ${host}:${port}`);
      if (!LOOPBACK.test(String(host))) {
        const error = new Error(`network guard (test): refused a connect to ${host}:${port}`);
        error.code = "EACCES";
        process.nextTick(() => this.destroy(error));
        return this;
      }
    }
    return connect.apply(this, args);
  };

  // Before execa (ESM) binds its import of spawn: the patched one is what it gets.
  const childProcess = require("node:child_process");
  const spawn = childProcess.spawn;
  childProcess.spawn = function loggedSpawn(file, args, ...rest) {
    const argv = [file, ...(Array.isArray(args) ? args : [])].map(String).join(" ");
    write(`spawn ${argv.replace(/\n/g, "\\n")}`);
    return spawn.call(this, file, args, ...rest);
  };
  require("node:module").syncBuiltinESMExports();

  // ssh2 when pulumi-mcp first loads it (on its first connection; a no-change run never does).
  require("./on-first-load.js").onFirstLoad("ssh2", ({ Client }) => {
    const clientConnect = Client.prototype.connect;
    const clientExec = Client.prototype.exec;
    Client.prototype.connect = function countedConnect(config) {
      const where = `${config?.host ?? "?"}:${config?.port ?? 22}`;
      this.pulumiMcpProbeWhere = where;
      this.once("ready", () => write(`handshake ${where}`));
      return clientConnect.call(this, config);
    };
    Client.prototype.exec = function loggedExec(command, ...rest) {
      write(`exec ${this.pulumiMcpProbeWhere ?? "?"} ${String(command).replace(/\n/g, "\\n")}`);
      return clientExec.call(this, command, ...rest);
    };
  });
}
