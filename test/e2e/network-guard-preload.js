// TEST ONLY (e2e). Preloaded (NODE_OPTIONS=--require) into the dynamic-provider process the test
// engine starts. Every outgoing TCP connect of the process is printed to stderr as
//   pulumi-mcp-test connect <host>:<port>
// before it happens, and one to anything but loopback is refused at once (no DNS lookup, no
// packet), so a test can prove which nodes a run contacted without ever sending traffic out.
// SSH through a proxyJump makes no TCP connect of its own: it rides a channel of the jump host.

const net = require("node:net");

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** [host, port] of the forms net.Socket#connect takes; undefined for a unix socket path. */
function target(args) {
  const [first, second] = args;
  if (first && typeof first === "object") {
    if (first.path !== undefined) return undefined;
    return [first.host ?? "localhost", first.port];
  }
  if (typeof first === "string" && !/^\d+$/.test(first)) return undefined;
  return [typeof second === "string" ? second : "localhost", first];
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const to = target(Array.isArray(args[0]) ? args[0] : args);
  if (to) {
    const [host, port] = to;
    process.stderr.write(`pulumi-mcp-test connect ${host}:${port}\n`);
    if (!LOOPBACK.test(String(host))) {
      const error = new Error(`network guard (test): refused a connect to ${host}:${port}`);
      error.code = "EACCES";
      process.nextTick(() => this.destroy(error));
      return this;
    }
  }
  return connect.apply(this, args);
};
