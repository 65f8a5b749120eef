/**
 * Probes run on the node: a workload's health check, and the unikernel
 * runtime's readiness check. The network probes are one fixed Perl program
 * (perl-base: IO::Socket::IP, IO::Select), every piece of data an argument.
 */
import type { ComponentSpec } from "../spec/component";
import { type HealthCheck, probeHost, publishedTcp } from "../spec/healthcheck";

/**
 * Args: MODE HOST PORT TIMEOUT WAIT [PATH STATUS]. Connects to HOST:PORT
 * within TIMEOUT seconds, then by MODE:
 * - `answer`: sends a small HTTP request and passes on any byte back. QEMU's
 *   user-mode networking accepts a forwarded connection before the guest
 *   listens, so only an answer proves a VM's server is up.
 * - `tcp`: passes unless the peer closes the connection within HOLD seconds
 *   without a byte: rootless podman's port forwarder accepts and closes at
 *   once when nothing listens behind the published port.
 * - `http`: GET PATH; prints the status line and passes when its code is STATUS.
 * Each wait is at most TIMEOUT. WAIT > 0 tries again every 50 ms for WAIT
 * seconds (perl-base has no Time::HiRes: whole seconds) and exits at the
 * first pass, so a caller waiting for readiness learns of it at once; 0 is
 * one try. The caller bounds the whole run (timeout(1)).
 */
const PROBE = `use strict; use warnings; use IO::Socket::IP; use IO::Select;
my ($mode, $host, $port, $timeout, $wait, $path, $want) = @ARGV;
my $until = time() + $wait;
while (1) {
  # try_once: (passed, what to print on stdout, why it failed on stderr)
  my ($ok, $out, $err) = try_once();
  if ($ok || time() >= $until) { print $out; print STDERR $err; exit($ok ? 0 : 1) }
  select(undef, undef, undef, 0.05);
}
sub try_once {
  my $s = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port, Proto => 'tcp', Timeout => $timeout)
    or return (0, "", "cannot connect: $@\\n");
  $s->autoflush(1);
  my $ready = IO::Select->new($s);
  if ($mode eq 'tcp') {
    my $hold = $timeout < 0.5 ? $timeout : 0.5;
    return (1, "connected\\n", "") if !$ready->can_read($hold);
    my $n = sysread($s, my $byte, 1);
    return (1, "connected (the server spoke first)\\n", "") if $n;
    return (0, "", "connected, then closed by the peer without a byte (nothing listens behind the port)\\n");
  }
  my $target = $host =~ /:/ ? "[$host]:$port" : "$host:$port";
  my $get = $mode eq 'http' ? $path : '/';
  syswrite($s, "GET $get HTTP/1.0\\r\\nHost: $target\\r\\nUser-Agent: pulumi-mcp-healthcheck\\r\\nConnection: close\\r\\n\\r\\n");
  my $got = '';
  while ($got !~ /\\n/ && length($got) < 4096) {
    if (!$ready->can_read($timeout)) {
      return (0, '', $got eq '' ? "no answer within \${timeout}s\\n" : "no complete status line within \${timeout}s\\n");
    }
    my $n = sysread($s, $got, 4096, length $got);
    last if !$n;
  }
  return (0, "", "connection closed without an answer\\n") if $got eq '';
  return (1, '', '') if $mode eq 'answer';
  my ($line) = split /\\r?\\n/, $got;
  return (0, "", "not an HTTP answer\\n") if $line !~ m{^HTTP/[0-9.]+ ([0-9]{3})};
  return ($1 == $want ? 1 : 0, "$line\\n", "");
}
`;

/**
 * `answer` mode: the unikernel runtime's readiness probe of one forwarded
 * port; `waitSeconds` > 0 keeps trying that long, returning at the first answer.
 */
export function probePort(
  host: string,
  port: number,
  timeoutSeconds: number,
  waitSeconds = 0,
): string[] {
  return [
    "perl",
    "-e",
    PROBE,
    "--",
    "answer",
    host,
    String(port),
    String(timeoutSeconds),
    String(Math.max(0, Math.floor(waitSeconds))),
  ];
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
      "0",
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
