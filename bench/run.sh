#!/usr/bin/env bash
# pulumi-mcp benchmark (issue 6). Run on demand; not part of the test suite.
#
#   bash bench/run.sh                 # N=3 repetitions, 20 components on each of 2 nodes
#   bash bench/run.sh --quick         # N=1, 5 components per node
#   bash bench/run.sh -n 5 --count 10 --contenders floor,mcp0 --worktree --no-ops --parallel 16
#   bash bench/run.sh --ansible-n 3   # Ansible N times too (by default it runs once: see below)
#   bash bench/run.sh --fleet         # issue 18's curve: 20, 50, 100 per node, floor/mcp0/sdk-null/ansible, N=1
#   bash bench/run.sh --fleet --sizes 5  # the same, one small size (checks the whole run works)
#
# Fleet curve: --sizes 20,50,100 runs the whole bench once per size (components per node) and then
# bench/curve.ts over the results: one table of time against size (bench/.work/curve-<time>.md),
# the figures as CSV and JSON, and a PNG plot drawn by gnuplot (bench/fleet-curve.png; Debian's
# gnuplot-nox is installed when missing, root only). --fleet = --sizes 20,50,100 -n 1
# --contenders floor,mcp0,sdk-null,ansible --no-ops --no-unikernel (each still overridable after it).
#
# Experiments (what-ifs measured instead of guessed; say so wherever their figures are quoted):
#   --sessions N         commands at once per node for the floor (FLOOR_PARALLEL) and pulumi-mcp
#                        (its maxSessions node input); 20 by default = the bench sshds' MaxSessions
#   --cpu-profile DIR    V8 CPU profiles of pulumi-mcp's provider and program processes, one
#                        directory per run (bench/cpu-profile.js); summarise with bench/cpu-summary.ts
#   --parallel P         the Pulumi CLI's --parallel (resource operations at once); by default the
#                        CLI's own default (4 × GOMAXPROCS: 8 on a 2-core machine), which the
#                        report states
#
# Needs `bash test/fixtures/nodes.sh up` (the registry, the test images, the client key and the
# podman configuration) and `bash test/fixtures/pulumi-cli.sh up` (the real `pulumi` CLI; `npm
# run nodes` does both). The fixture's env.json is $PULUMI_MCP_TEST_ENV, else
# .test-nodes/env.json of this checkout. Starts its two nodes itself, bench/node.sh: loopback
# sshds on 127.0.0.1:22051 (node a) and :22052 (node b) (BENCH_PORT_A / BENCH_PORT_B to change),
# each with its own host key and HOME, and stops them at the end, by pid. --fixture-node-a uses
# the fixture's sshd (127.0.0.1:22022) as node a instead: it shares HOME, and so pulumi-mcp's
# node lock, with every test run of the fixture, which then shows up as lock waits. Installs
# Debian's `ansible` when it is missing (root only).
#
# Contenders (--contenders, comma-separated; all by default):
#   floor    bench/floor.sh: the necessary podman commands over one OpenSSH ControlMaster per node
#   mcp0     pulumi-mcp through the real `pulumi` CLI (test/cli), every component minUptime: 0
#   mcp      pulumi-mcp through the real `pulumi` CLI (test/cli), default minUptime (2 s)
#   sdk-null the same program and CLI path with a dynamic provider that does nothing
#            (bench/null-provider.js): the SDK's and the engine's cost, so pulumi-mcp − sdk-null
#            is ours; runs what mcp0 runs but the empty program (not in the default set)
#   ansible  ansible-playbook with containers.podman (bench/ansible/*.yml)
# Scenarios, in this order for each contender and repetition: initial deploy (v1), no-change
# re-run, version bump (v2), refresh, destroy. pulumi-mcp's are `pulumi up`, `up`, `up`,
# `pulumi refresh`, `pulumi destroy`, and it adds a no-change `pulumi preview` and a no-change
# `up` of the same program declaring nothing (count 0, a stack of its own: the baseline of a run
# through the same CLI path), both for the first pulumi-mcp variant only (they do not depend on
# minUptime), which also runs refresh; the default-minUptime variant runs deploy, bump and
# destroy only. Then one unikernel component on node a (--no-unikernel to skip; needs
# `bash test/fixtures/unikernel/setup.sh up`): up → first HTTP 200 split into image pull, ELF
# extraction, ops build and the guest's boot, for a first deploy (the runtime's caches emptied)
# and for a redeploy of the same digest, N times each. Every contender starts each repetition from no containers; repetitions
# interleave the contenders. Ansible runs min(N, --ansible-n) times, 1 by default: its runs take
# 30-60 s each at 20 components and vary little next to the ratios at stake, and N=3 of them
# would take the whole run past 15 minutes.
#
# pulumi-mcp is benchmarked as committed (HEAD, `git archive`, built in bench/.work/src), so that
# other people's unfinished edits neither break nor colour a run; --worktree takes the working
# tree's files (committed or not) instead. The program is prepared there by the snapshot's
# test/cli/prepare-program.ts (npm pack, installed into bench/.work/src/.test-nodes/programs/bench)
# and every pulumi-mcp stack lives in that directory's file backend. Nothing outside bench/.work
# is written, and the repository's dist/ is not rebuilt.
#
# Output: the tables on stdout, also saved in bench/.work/report-<time>.txt; raw samples (every
# run's wall time, counters and provider trace) in bench/.work/results-<time>.json; each floor
# and Ansible run's output in bench/.work/logs/.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
WORK=$BENCH_DIR/.work
ENV_JSON=${PULUMI_MCP_TEST_ENV:-$REPO_ROOT/.test-nodes/env.json}
export BENCH_ENV_JSON=$ENV_JSON # bench/node.sh

n=3
sizes=20
curve=0
contenders=floor,mcp0,mcp,ansible
ansible_n=1
fixture_a=0
source_mode=head
extra=()
while (($# > 0)); do
  case $1 in
  --quick) n=1 sizes=5 ;;
  --fleet) n=1 sizes=20,50,100 curve=1 contenders=floor,mcp0,sdk-null,ansible extra+=(--no-ops --no-unikernel) ;;
  -n | --n) n=$2 && shift ;;
  --count) sizes=$2 && shift ;;
  --sizes) sizes=$2 curve=1 && shift ;;
  --contenders) contenders=$2 && shift ;;
  --ansible-n) ansible_n=$2 && shift ;;
  --fixture-node-a) fixture_a=1 ;;
  --worktree) source_mode=worktree ;;
  --sessions | --parallel | --cpu-profile) extra+=("$1" "$2") && shift ;;
  --no-ops | --no-unikernel) extra+=("$1") ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "unknown argument $1 (see --help)" >&2
    exit 2
    ;;
  esac
  shift
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "-n must be a positive integer" >&2 && exit 2; }
[[ $ansible_n =~ ^[1-9][0-9]*$ ]] || { echo "--ansible-n must be a positive integer" >&2 && exit 2; }
IFS=, read -r -a size_list <<<"$sizes"
for count in "${size_list[@]}"; do
  # Component names are c00…c99 and node b's ports start 100 above node a's.
  [[ $count =~ ^[1-9][0-9]*$ ]] && ((count <= 100)) || { echo "--count/--sizes: each 1..100" >&2 && exit 2; }
done

log() { printf '[bench] %s\n' "$*" >&2; }

# --- prerequisites ---------------------------------------------------------------------------
[[ -f $ENV_JSON ]] || { log "no $ENV_JSON: run \`bash test/fixtures/nodes.sh up\` first" && exit 1; }
PULUMI_MCP_TEST_DIR=$(jq -r .stateDir "$ENV_JSON") bash "$REPO_ROOT/test/fixtures/nodes.sh" status >/dev/null ||
  { log "the test nodes are not up: run \`bash test/fixtures/nodes.sh up\`" && exit 1; }
[[ -x $(bash "$REPO_ROOT/test/fixtures/pulumi-cli.sh" bin)/pulumi ]] ||
  { log "the real Pulumi CLI is not built: run \`bash test/fixtures/pulumi-cli.sh up\`" && exit 1; }
if [[ ,$contenders, == *,ansible,* ]] && ! command -v ansible-playbook >/dev/null; then
  if ((EUID == 0)); then
    log "installing Debian's ansible"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ansible >/dev/null
  else
    log "ansible-playbook is missing: sudo apt-get install ansible" && exit 1
  fi
fi
if [[ ,$contenders, == *,ansible,* ]] &&
  ! ansible-doc containers.podman.podman_container >/dev/null 2>&1; then
  log "this Ansible has no containers.podman collection (Debian's ansible package ships it)" && exit 1
fi
if ((curve)) && ! command -v gnuplot >/dev/null; then
  if ((EUID == 0)); then
    log "installing Debian's gnuplot-nox (the fleet curve's plot)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null
  else
    log "gnuplot is missing (the plot): sudo apt-get install gnuplot-nox" && exit 1
  fi
fi
mkdir -p "$WORK"

# --- the pulumi-mcp source under test ----------------------------------------------------------
SRC=$WORK/src
rm -rf "$SRC"
mkdir -p "$SRC"
if [[ $source_mode == head ]]; then
  source_desc="HEAD $(git -C "$REPO_ROOT" rev-parse --short HEAD)"
  git -C "$REPO_ROOT" archive HEAD | tar -x -C "$SRC"
else
  source_desc="working tree at $(git -C "$REPO_ROOT" rev-parse --short HEAD) + uncommitted changes"
  (cd "$REPO_ROOT" && git ls-files -co --exclude-standard -z | grep -zv '^bench/' |
    xargs -0 tar -cf - --ignore-failed-read) | tar -x -C "$SRC"
fi
ln -s "$REPO_ROOT/node_modules" "$SRC/node_modules"
log "pulumi-mcp under test: $source_desc; building it and preparing the bench program"
TS_NODE="$REPO_ROOT/node_modules/.bin/ts-node"
PROGRAM=$("$TS_NODE" --transpile-only -e "
  const { prepareProgram } = require('$SRC/test/cli/prepare-program.ts');
  process.stdout.write(prepareProgram({ example: '$BENCH_DIR/program', name: 'bench' }).dir);
")
# sdk-null's provider, a real copy in node_modules as pulumi-mcp is (serialised as a bare require).
NULL_PKG=$PROGRAM/node_modules/bench-null-provider
rm -rf "$NULL_PKG" && mkdir -p "$NULL_PKG"
cp "$BENCH_DIR/null-provider.js" "$NULL_PKG/index.js"
echo '{ "name": "bench-null-provider", "private": true, "main": "index.js" }' >"$NULL_PKG/package.json"

# --- the nodes, and cleaning up whatever happens ------------------------------------------------
cleanup() {
  local rc=$?
  # Containers of an interrupted run (the driver removes its own on the way out).
  local left
  left=$(CONTAINERS_CONF=$(jq -r .podmanEnv.CONTAINERS_CONF "$ENV_JSON") \
    CONTAINERS_REGISTRIES_CONF=$(jq -r .podmanEnv.CONTAINERS_REGISTRIES_CONF "$ENV_JSON") \
    podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E '^bench[ab]-c[0-9]{2}(-previous)?$' || true)
  if [[ -n $left ]]; then
    log "removing leftover containers: $(echo $left)"
    # shellcheck disable=SC2086
    CONTAINERS_CONF=$(jq -r .podmanEnv.CONTAINERS_CONF "$ENV_JSON") podman rm -f -t 0 $left >/dev/null || true
  fi
  bash "$BENCH_DIR/node.sh" down a || true
  bash "$BENCH_DIR/node.sh" down b || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# --node LABEL,PORT,KNOWN_HOSTS_FILE,HOST_KEY_FINGERPRINT for bench.ts
node_args=()
for label in a b; do
  if [[ $label == a ]] && ((fixture_a)); then
    jq -r .node.knownHosts "$ENV_JSON" >"$WORK/known_hosts_fixture"
    node_args+=(--node "a,$(jq -r .node.port "$ENV_JSON"),$WORK/known_hosts_fixture,$(jq -r .node.hostKeyFingerprint "$ENV_JSON")")
    continue
  fi
  if [[ $label == a ]]; then port=${BENCH_PORT_A:-22051}; else port=${BENCH_PORT_B:-22052}; fi
  bash "$BENCH_DIR/node.sh" up "$label" "$port" >/dev/null
  fp=$(ssh-keygen -lf "$WORK/node-$label/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
  node_args+=(--node "$label,$port,$WORK/node-$label/known_hosts,$fp")
done

# --- the run ---------------------------------------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
cd "$REPO_ROOT"
results=()
status=0
for count in "${size_list[@]}"; do
  suffix=$( ((curve)) && echo "-$count" || true)
  log "running: n=$n (Ansible: at most $ansible_n), $count components per node, contenders $contenders"
  out=$WORK/results-$stamp$suffix.json
  set +e
  "$TS_NODE" --transpile-only "$BENCH_DIR/bench.ts" \
    --src "$SRC" --program "$PROGRAM" --env "$ENV_JSON" --work "$WORK" --out "$out" \
    --n "$n" --ansible-n "$ansible_n" --count "$count" --contenders "$contenders" \
    "${node_args[@]}" "${extra[@]}" |
    { printf 'pulumi-mcp under test: %s\n' "$source_desc" && cat; } | tee "$WORK/report-$stamp$suffix.txt"
  ((PIPESTATUS[0] == 0)) || status=1
  set -e
  [[ -f $out ]] && results+=("$out")
done
if ((curve && ${#results[@]} > 0)); then
  "$TS_NODE" --transpile-only "$BENCH_DIR/curve.ts" --out-prefix "$WORK/curve-$stamp" \
    --png "$BENCH_DIR/fleet-curve.png" "${results[@]}" || status=1
  log "curve: $WORK/curve-$stamp.{md,csv,json}, plot $BENCH_DIR/fleet-curve.png"
fi
exit "$status"
