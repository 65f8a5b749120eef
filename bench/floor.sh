#!/usr/bin/env bash
# The floor: only the podman commands a deploy tool cannot avoid, over one multiplexed OpenSSH
# connection per node (ControlMaster/ControlPath/ControlPersist), nodes in parallel, and the
# components of a node in parallel too (at most FLOOR_PARALLEL sessions at once per node,
# default 20 = sshd's MaxSessions on the bench nodes). One SSH session per component and
# operation: the commands of one component are chained with && inside that session.
#
#   bash bench/floor.sh deploy|nochange|bump|refresh|destroy NODES_FILE
#
# NODES_FILE: one node a line, "label host port known_hosts_file service port_base".
# Environment: BENCH_KEY (private key), BENCH_COUNT, BENCH_IMAGE (deploy/bump target),
# BENCH_STOP_TIMEOUT, BENCH_WORK (scratch dir), FLOOR_PARALLEL.
# Prints one line per node: "floor <label> handshakes=1 sessions=N".
#
# The connection is opened (ssh -Nf) and closed (ssh -O exit) inside the run, so its wall time
# includes the handshake, like the other contenders' runs.
set -euo pipefail

scenario=$1
nodes_file=$2
: "${BENCH_KEY:?}" "${BENCH_COUNT:?}" "${BENCH_IMAGE:?}" "${BENCH_STOP_TIMEOUT:?}" "${BENCH_WORK:?}"
parallel=${FLOOR_PARALLEL:-20}
run_dir=$(mktemp -d "$BENCH_WORK/floor.XXXXXX")

name_of() { printf '%s-c%02d' "$1" "$2"; }

# node LABEL HOST PORT KNOWN_HOSTS SERVICE PORT_BASE: the whole scenario on one node.
node() {
  local label=$1 host=$2 port=$3 kh=$4 service=$5 base=$6
  local cp="$run_dir/$label.sock" sessions="$run_dir/$label.sessions"
  local -a ssh_opts=(-F /dev/null -i "$BENCH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes
    -o "UserKnownHostsFile=$kh" -o StrictHostKeyChecking=yes -o "ControlPath=$cp" -p "$port")
  : >"$sessions"
  # The one handshake: a master in the background, persisting until -O exit.
  ssh "${ssh_opts[@]}" -o ControlMaster=yes -o ControlPersist=yes -Nf "root@$host"
  remote() { # one session over the master
    echo x >>"$sessions"
    ssh "${ssh_opts[@]}" -o ControlMaster=no "root@$host" "$1"
  }
  local run_flags="--restart unless-stopped --stop-timeout $BENCH_STOP_TIMEOUT"
  local i name names="" cmd
  for ((i = 0; i < BENCH_COUNT; i++)); do names+=" $(name_of "$service" "$i")"; done
  case $scenario in
  nochange) remote "podman ps --format '{{.Names}} {{.Image}} {{.State}}'" >/dev/null ;;
  refresh) remote "podman container inspect$names" >/dev/null ;;
  deploy | bump | destroy)
    for ((i = 0; i < BENCH_COUNT; i++)); do
      name=$(name_of "$service" "$i")
      case $scenario in
      deploy) cmd="podman pull -q $BENCH_IMAGE >/dev/null && podman run -d --name $name -p 127.0.0.1:$((base + i)):8080 $run_flags $BENCH_IMAGE" ;;
      bump) cmd="podman pull -q $BENCH_IMAGE >/dev/null && podman stop -t $BENCH_STOP_TIMEOUT $name && podman rm $name && podman run -d --name $name -p 127.0.0.1:$((base + i)):8080 $run_flags $BENCH_IMAGE" ;;
      destroy) cmd="podman rm -f $name" ;;
      esac
      while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
      { remote "$cmd" >/dev/null || echo "$name" >>"$run_dir/$label.failed"; } &
    done
    wait
    ;;
  *) echo "unknown scenario $scenario" >&2 && return 2 ;;
  esac
  ssh "${ssh_opts[@]}" -O exit "root@$host" 2>/dev/null
  echo "floor $label handshakes=1 sessions=$(wc -l <"$sessions")"
  if [[ -s $run_dir/$label.failed ]]; then
    echo "floor: $scenario failed on $label for: $(tr '\n' ' ' <"$run_dir/$label.failed")" >&2
    return 1
  fi
}

pids=()
while read -r label host port kh service base; do
  [[ -n ${label:-} ]] || continue
  node "$label" "$host" "$port" "$kh" "$service" "$base" &
  pids+=($!)
done <"$nodes_file"
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
rm -rf "$run_dir"
exit "$rc"
