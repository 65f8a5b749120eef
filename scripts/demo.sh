#!/usr/bin/env bash
# The main job: deploy examples/basic (one container component) onto this machine's loopback test
# node with the real Pulumi CLI (`pulumi up`, a local file backend) and print the service's URL.
#
# It builds what it needs first: the test node (sshd, registry, images; test/fixtures/nodes.sh) and
# the Pulumi CLI from its Go module (test/fixtures/pulumi-cli.sh; minutes on a cold machine). The
# program runs through @pulumi/pulumi/automation because the CLI's Node.js language host cannot be
# built here (test/cli/README.md); every command is the real `pulumi`.
#
#   npm run demo               pulumi up (with --refresh), then print the URL and its answer
#   npm run demo -- destroy    pulumi destroy of the demo stack
set -euo pipefail
cd "$(dirname "$0")/.."
operation=${1:-up}
[[ $operation == up || $operation == destroy ]] || { echo "usage: npm run demo [-- destroy]" >&2; exit 2; }

bash test/fixtures/nodes.sh up >/dev/null
bash test/fixtures/pulumi-cli.sh up
PULUMI_MCP_PULUMI_ROOT=$(dirname "$(bash test/fixtures/pulumi-cli.sh bin)")
export PULUMI_MCP_PULUMI_ROOT
env_json=$PWD/.test-nodes/env.json
program=$PWD/.test-nodes/programs/demo-basic
http_port=18080

# examples/basic as a user's project: pulumi-mcp installed from `npm pack` (prepack builds it).
npx ts-node --transpile-only -e \
  'require("./test/cli/prepare-program").prepareProgram({ example: "examples/basic", name: "demo-basic" })'

export PATH="$PULUMI_MCP_PULUMI_ROOT/bin:$PATH"
export PULUMI_BACKEND_URL="file://$program/.pulumi-backend"
export PULUMI_HOME="$program/.pulumi-home"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-demo-loopback-only}"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$program/.pulumi-backend" "$program/.pulumi-home"
echo "demo: $(pulumi version) with a local file backend ($program/.pulumi-backend)"
(
  cd "$program"
  pulumi stack select dev --create >/dev/null
  pulumi config set host "$(jq -r .node.host "$env_json")"
  pulumi config set port "$(jq -r .node.port "$env_json")"
  pulumi config set user "$(jq -r .node.user "$env_json")"
  pulumi config set hostKey "$(jq -r .node.hostKeyFingerprint "$env_json")"
  pulumi config set image "$(jq -r .images.v1 "$env_json")"
  pulumi config set httpPort "$http_port"
  # The loopback test node is this machine, whose init is not systemd: no boot units there.
  pulumi config set bootPersistence false
  pulumi config set --secret sshKey <"$(jq -r .node.privateKeyPath "$env_json")"
)
# pulumi up --refresh: a container removed behind the demo's back (a test run using the same name)
# is seen and created again, rather than trusted from state.
run() {
  local options=${2:-'{}'}
  node --require ts-node/register/transpile-only test/cli/run-program.ts - "$1" "$program" dev "$options"
}
if [[ $operation == destroy ]]; then
  run destroy
  exit
fi
run up '{"refresh": true}'

url="http://127.0.0.1:$http_port/"
echo "demo: the service answers at $url :"
curl -fsS --max-time 5 --retry 5 --retry-connrefused --retry-delay 1 "$url"
echo
echo "demo: tear it down with: npm run demo -- destroy   (a real pulumi destroy)"
