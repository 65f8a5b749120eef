import { isIP } from "node:net";

/** A published port: `[ip:]hostPort:containerPort[/tcp|udp]`. */
export interface PortSpec {
  /** The node address the port listens on; IPv6 without brackets. */
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: "tcp" | "udp";
}

/**
 * Ports listen on loopback unless the spec names an address: publishing on
 * every interface must be written down (`0.0.0.0:80:80`), never an accident.
 */
export const DEFAULT_HOST_IP = "127.0.0.1";

const PORT_SPEC = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;

function portNumber(text: string): number | undefined {
  const value = Number(text);
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? value : undefined;
}

/** Parses a port spec; returns a reason string when it is malformed. */
export function parsePortSpec(spec: string): PortSpec | string {
  const match = PORT_SPEC.exec(spec);
  if (!match) {
    return "is not [ip:]hostPort:containerPort[/tcp|udp] (a host port is required)";
  }
  const [, rawIp, rawHost = "", rawContainer = "", rawProtocol] = match;
  const hostIp = rawIp ? rawIp.replace(/^\[|\]$/g, "") : DEFAULT_HOST_IP;
  if (rawIp && isIP(hostIp) === 0) return `has an invalid address ${JSON.stringify(rawIp)}`;
  const hostPort = portNumber(rawHost);
  const containerPort = portNumber(rawContainer);
  if (hostPort === undefined) return `has host port ${rawHost} outside 1-65535`;
  if (containerPort === undefined) return `has container port ${rawContainer} outside 1-65535`;
  return { hostIp, hostPort, containerPort, protocol: rawProtocol === "udp" ? "udp" : "tcp" };
}

/** The one canonical text of a port spec: defaults filled in, IPv6 bracketed. */
export function formatPortSpec(port: PortSpec): string {
  const ip = port.hostIp.includes(":") ? `[${port.hostIp}]` : port.hostIp;
  return `${ip}:${port.hostPort}:${port.containerPort}/${port.protocol}`;
}

function isWildcard(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::";
}

/** True when two published ports cannot listen on one node at the same time. */
export function portsCollide(a: PortSpec, b: PortSpec): boolean {
  if (a.hostPort !== b.hostPort || a.protocol !== b.protocol) return false;
  return a.hostIp === b.hostIp || isWildcard(a.hostIp) || isWildcard(b.hostIp);
}
