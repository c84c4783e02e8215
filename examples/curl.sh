#!/usr/bin/env bash
# The check examples/agent.ts makes, with curl: one POST, and the decision (JSON) on stdout.
#
#   npm start                  # the sidecar, serving ./rules on 127.0.0.1:8080
#   bash examples/curl.sh      # MGE_URL and MGE_API_KEY override the defaults
#
# The answer is 200 whether the action is approved or not; read "approved" and "reasoning".
# Errors (bad key, malformed body) are application/problem+json with a non-2xx status.
set -euo pipefail

MGE_URL="${MGE_URL:-http://127.0.0.1:8080}"
auth=()
if [[ -n "${MGE_API_KEY:-}" ]]; then auth=(-H "Authorization: Bearer ${MGE_API_KEY}"); fi

curl --silent --show-error --fail-with-body \
  -X POST "${MGE_URL}/api/v1/governance/check" \
  -H 'Content-Type: application/json' \
  ${auth[@]+"${auth[@]}"} \
  --data-binary @- <<'JSON'
{
  "action": { "type": "db.write", "table": "users" },
  "context": { "environment": "production", "agent_id": "agent-7", "connection": { "tls": true }, "client": "orm" }
}
JSON
echo
