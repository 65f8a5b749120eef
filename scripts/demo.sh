#!/usr/bin/env bash
# The main job: deploy examples/basic (one container component) onto this
# machine's loopback test node and print the service's URL.
#
# With the Pulumi CLI installed, it runs `pulumi up` against a local file
# backend. Without it (the Pulumi CLI cannot be installed on our machines), it
# runs the same program through the test engine (test/engine): the SDK's own
# language host and dynamic-provider process, without the CLI. It says which.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/fixtures/nodes.sh up >/dev/null
env_json=.test-nodes/env.json
program=.test-nodes/programs/basic
http_port=18080

if command -v pulumi >/dev/null 2>&1; then
  echo "demo: Pulumi CLI found: pulumi up with a local file backend (.test-nodes/pulumi-backend)"
  npm run --silent build
  npx ts-node --transpile-only -e 'require("./test/engine/prepare-program").prepareProgram({ example: "examples/basic", build: false })'
  mkdir -p .test-nodes/pulumi-backend
  export PULUMI_BACKEND_URL="file://$PWD/.test-nodes/pulumi-backend"
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-demo-loopback-only}"
  (
    cd "$program"
    pulumi stack select dev --create >/dev/null
    pulumi config set host "$(jq -r .node.host "../../env.json")"
    pulumi config set port "$(jq -r .node.port "../../env.json")"
    pulumi config set user "$(jq -r .node.user "../../env.json")"
    pulumi config set hostKey "$(jq -r .node.hostKeyFingerprint "../../env.json")"
    pulumi config set image "$(jq -r .images.v1 "../../env.json")"
    pulumi config set httpPort "$http_port"
    pulumi config set --secret sshKey < "$(jq -r .node.privateKeyPath "../../env.json")"
    # --refresh: a container removed behind the demo's back (a test run using the same name) is
    # seen and created again, rather than trusted from state.
    pulumi up --yes --skip-preview --refresh
  )
else
  echo "demo: no Pulumi CLI on this machine: running the program through the test engine (test/engine)"
  # As `pulumi up --refresh`: a container removed behind the demo's back (a test run using the
  # same name) drops out of state first, and the up creates it again.
  if [[ -f $program/.pulumi-test-engine/dev.json ]]; then
    npx ts-node --transpile-only test/engine/cli.ts refresh --program "$program" --stack dev --test-node \
      --config "httpPort=$http_port" >/dev/null
  fi
  npx ts-node --transpile-only test/engine/cli.ts up --example examples/basic --stack dev --test-node \
    --config "httpPort=$http_port"
fi

url="http://127.0.0.1:$http_port/"
echo "demo: the service answers at $url :"
curl -fsS --max-time 5 "$url"
echo
[ -f "$env_json" ] && echo "demo: tear it down with: npx ts-node --transpile-only test/engine/cli.ts destroy --program $program --stack dev --test-node"
