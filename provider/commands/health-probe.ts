/**
 * Probes run on the node: a workload's health check, and the unikernel
 * runtime's readiness check. The network probes are one fixed Perl program
 * (perl-base: IO::Socket::IP, IO::Select), every piece of data an argument.
 */
import type { ComponentSpec } from "../spec/component";
import { type HealthCheck, probeHost, publishedTcp } from "../spec/healthcheck";

/**
 * Args: MODE HOST PORT TIMEOUT [PATH STATUS]. Connects to HOST:PORT within
 * TIMEOUT seconds, then by MODE:
 * - `answer`: sends a small HTTP request and passes on any byte back. QEMU's
 *   user-mode networking accepts a forwarded connection before the guest
 *   listens, so only an answer proves a VM's server is up.
 * - `tcp`: passes unless the peer closes the connection within HOLD seconds
 *   without a byte: rootless podman's port forwarder accepts and closes at
 *   once when nothing listens behind the published port.
 * - `http`: GET PATH; prints the status line and passes when its code is STATUS.
 * Each wait is at most TIMEOUT; the caller bounds the whole run (timeout(1)).
 */
const PROBE = `use strict; use warnings; use IO::Socket::IP; use IO::Select;
my ($mode, $host, $port, $timeout, $path, $want) = @ARGV;
my $s = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port, Proto => 'tcp', Timeout => $timeout)
  or do { print STDERR "cannot connect: $@\\n"; exit 1 };
$s->autoflush(1);
my $ready = IO::Select->new($s);
if ($mode eq 'tcp') {
  my $hold = $timeout < 0.5 ? $timeout : 0.5;
  if (!$ready->can_read($hold)) { print "connected\\n"; exit 0 }
  my $n = sysread($s, my $byte, 1);
  if ($n) { print "connected (the server spoke first)\\n"; exit 0 }
  print STDERR "connected, then closed by the peer without a byte (nothing listens behind the port)\\n";
  exit 1;
}
my $target = $host =~ /:/ ? "[$host]:$port" : "$host:$port";
$path = '/' if $mode ne 'http';
syswrite($s, "GET $path HTTP/1.0\\r\\nHost: $target\\r\\nUser-Agent: pulumi-mcp-healthcheck\\r\\nConnection: close\\r\\n\\r\\n");
my $got = '';
while ($got !~ /\\n/ && length($got) < 4096) {
  if (!$ready->can_read($timeout)) {
    print STDERR $got eq '' ? "no answer within \${timeout}s\\n" : "no complete status line within \${timeout}s\\n";
    exit 1;
  }
  my $n = sysread($s, $got, 4096, length $got);
  last if !$n;
}
if ($got eq '') { print STDERR "connection closed without an answer\\n"; exit 1 }
exit 0 if $mode eq 'answer';
my ($line) = split /\\r?\\n/, $got;
if ($line !~ m{^HTTP/[0-9.]+ ([0-9]{3})}) { print STDERR "not an HTTP answer\\n"; exit 1 }
print "$line\\n";
exit($1 == $want ? 0 : 1);
`;

/** `answer` mode: the unikernel runtime's readiness probe of one forwarded port. */
export function probePort(host: string, port: number, timeoutSeconds: number): string[] {
  return ["perl", "-e", PROBE, "--", "answer", host, String(port), String(timeoutSeconds)];
}

/** timeout(1) exits 124 when it had to stop the probe. */
export const PROBE_TIMED_OUT = 124;

function bounded(seconds: number, argv: readonly string[]): string[] {
  return ["timeout", "-k", "1", String(seconds), ...argv];
}

export interface HealthProbe {
  /** What is probed, for messages: `GET http://127.0.0.1:18080/health`, `tcp 127.0.0.1:15432`, `podman exec … pg_isready`. */
  what: string;
  kind: "http" | "tcp" | "cmd";
  argv: string[];
}

/**
 * The command that probes a workload's health check once, bounded by its
 * timeout: HTTP and TCP against the published host address of the checked
 * port (a VM's forwarded port; there a TCP check needs an answer, as the
 * readiness probe does), cmd with `podman exec` inside the container.
 */
export function healthProbe(spec: ComponentSpec, check: HealthCheck, name: string): HealthProbe {
  const timeout = String(check.timeout);
  if (check.cmd) {
    return {
      what: `podman exec ${name} ${check.cmd.join(" ")}`,
      kind: "cmd",
      argv: bounded(check.timeout, ["podman", "exec", "--", name, ...check.cmd]),
    };
  }
  const probed = check.http ?? check.tcp;
  const published = probed && publishedTcp(spec.ports, probed.port);
  if (!published) throw new Error(`healthcheck of ${name}: its port is not published`);
  const host = probeHost(published);
  const address = host.includes(":")
    ? `[${host}]:${published.hostPort}`
    : `${host}:${published.hostPort}`;
  const perl = (mode: string, ...extra: string[]) =>
    bounded(check.timeout, [
      "perl",
      "-e",
      PROBE,
      "--",
      mode,
      host,
      String(published.hostPort),
      timeout,
      ...extra,
    ]);
  if (check.http) {
    return {
      what: `GET http://${address}${check.http.path}`,
      kind: "http",
      argv: perl("http", check.http.path, String(check.http.status)),
    };
  }
  return {
    what: `tcp ${address}`,
    kind: "tcp",
    argv: perl(spec.runtime === "unikernel" ? "answer" : "tcp"),
  };
}
