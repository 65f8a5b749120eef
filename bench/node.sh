#!/usr/bin/env bash
# A benchmark "node": a throwaway OpenSSH server on 127.0.0.1:PORT with its own host key,
# letting root in with the same client key as the fixture node (test/fixtures/nodes.sh) and
# setting the same podman environment for every session. Settings copied from nodes.sh's
# start_sshd. Every bench node reaches this machine's podman.
#
#   bash bench/node.sh up LABEL PORT   # start (fails if the port is taken); prints the sshd pid
#   bash bench/node.sh down LABEL      # stop the sshd recorded in its pidfile, by pid
#
# State: bench/.work/node-LABEL/ (host key, sshd_config, pidfile, log, known_hosts line, and
# home/: the HOME of the node's sessions). Each node has its own HOME because per-node state
# lives in the login's home — pulumi-mcp's lock ~/.pulumi-mcp/node.lock above all — and must be
# shared neither between the two bench nodes nor with the fixture node, where other people's
# test runs hold that lock for tens of seconds at a time.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
ENV_JSON=${BENCH_ENV_JSON:-$REPO_ROOT/.test-nodes/env.json}
LABEL=${2:-}
PORT=${3:-}
[[ $LABEL =~ ^[a-z0-9]+$ ]] || { echo "usage: $0 up|down LABEL [PORT]" >&2 && exit 2; }
DIR=$BENCH_DIR/.work/node-$LABEL
CONFIG=$DIR/sshd_config
PIDFILE=$DIR/sshd.pid
LOG=$DIR/sshd.log
HOST_KEY=$DIR/ssh_host_ed25519_key

log() { printf '[node-%s] %s\n' "$LABEL" "$*" >&2; }
die() {
  printf '[node-%s] error: %s\n' "$LABEL" "$*" >&2
  exit 1
}

live_pid() {
  local pid
  [[ -f $PIDFILE ]] || return 1
  pid=$(<"$PIDFILE")
  [[ $pid =~ ^[0-9]+$ && -d /proc/$pid ]] || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == /usr/sbin/sshd ]] || return 1
  printf '%s\n' "$pid"
}

listening() { [[ -n $(ss -Hltn "sport = :$PORT" 2>/dev/null) ]]; }

up() {
  [[ $PORT =~ ^[0-9]+$ ]] || die "up needs a port"
  [[ -f $ENV_JSON ]] || die "$ENV_JSON missing: run \`bash test/fixtures/nodes.sh up\` first"
  local state_dir cc crc pid i
  state_dir=$(jq -r .stateDir "$ENV_JSON")
  cc=$(jq -r .podmanEnv.CONTAINERS_CONF "$ENV_JSON")
  crc=$(jq -r .podmanEnv.CONTAINERS_REGISTRIES_CONF "$ENV_JSON")
  mkdir -p "$DIR/home" /run/sshd
  chmod 700 "$DIR" "$DIR/home"
  if pid=$(live_pid); then
    log "already running (pid $pid)"
    echo "$pid"
    return 0
  fi
  listening && die "port $PORT is taken by another process"
  [[ -f $HOST_KEY ]] || ssh-keygen -q -t ed25519 -N '' -C "mcp-bench-node-$LABEL-hostkey" -f "$HOST_KEY"
  cat >"$CONFIG" <<CONF
# Written by bench/node.sh: benchmark node $LABEL, on loopback.
Port $PORT
ListenAddress 127.0.0.1
AddressFamily inet
HostKey "$HOST_KEY"
PidFile "$PIDFILE"
AuthorizedKeysFile "$state_dir/ssh/authorized_keys"

PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
UsePAM no
StrictModes no

AllowTcpForwarding yes
MaxSessions 20
MaxStartups 100:30:200
LoginGraceTime 30

# Its own HOME: every node is this machine, but per-node state in the login's home
# (pulumi-mcp's lock ~/.pulumi-mcp/node.lock) is not shared between two real machines.
SetEnv "CONTAINERS_CONF=$cc" "CONTAINERS_REGISTRIES_CONF=$crc" "HOME=$DIR/home"
PermitUserEnvironment no

Subsystem sftp internal-sftp
X11Forwarding no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
CONF
  chmod 600 "$CONFIG"
  /usr/sbin/sshd -t -f "$CONFIG" || die "sshd rejects $CONFIG"
  rm -f "$PIDFILE"
  /usr/sbin/sshd -f "$CONFIG" -E "$LOG" </dev/null || die "sshd failed to start; see $LOG"
  for ((i = 0; i < 100; i++)); do
    listening && pid=$(live_pid) && break
    sleep 0.05
  done
  pid=$(live_pid) || die "sshd did not come up; see $LOG"
  printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$HOST_KEY.pub")" >"$DIR/known_hosts"
  log "up (pid $pid) on 127.0.0.1:$PORT"
  echo "$pid"
}

down() {
  local pid i
  if pid=$(live_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      [[ -d /proc/$pid ]] || break
      sleep 0.05
    done
    [[ -d /proc/$pid ]] && kill -KILL "$pid" 2>/dev/null
    log "stopped (pid $pid)"
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
up) up ;;
down) down ;;
*)
  echo "usage: $0 up|down LABEL [PORT]" >&2
  exit 2
  ;;
esac
