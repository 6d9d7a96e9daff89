#!/usr/bin/env bash
# ghz: a gateway operator (FetchRows or FetchSpan) under load. ghz cannot chain calls, so this opens one session
# first (scripts/perf/ghz/open-session.ts prints its id and capability token) and sends every call on it. The
# gateway serialises calls within a session, so this measures one session's queue, and a session allows 10 000
# calls: use TOTAL (not a duration) below that. For concurrent sessions use the k6 script or `npm run perf`.
#
#   scripts/perf/ghz/gateway-operator.sh [host:port]     (default 127.0.0.1:8080)
#
# Env: OPERATOR (fetch_rows | fetch_span), PARAMS (scripts/perf/k6/requests/fetch-rows-params.json or
# fetch-span-params.json; fetch-rows-slow-params.json for the statement-timeout fault), PRINCIPAL (dev),
# VUS (10), TOTAL (5000), TIMEOUT (10s), FORMAT (summary), PECR_LOCAL_AUTH_SHARED_SECRET (unset).
set -euo pipefail
cd "$(dirname "$0")/../../.."
addr="${1:-127.0.0.1:8080}"
operator="${OPERATOR:-fetch_rows}"
case "$operator" in
  fetch_rows) method=FetchRows; params="${PARAMS:-scripts/perf/k6/requests/fetch-rows-params.json}" ;;
  fetch_span) method=FetchSpan; params="${PARAMS:-scripts/perf/k6/requests/fetch-span-params.json}" ;;
  *) echo "OPERATOR must be fetch_rows or fetch_span" >&2; exit 2 ;;
esac
# The shared secret, when the gateway is configured with one (bound beyond loopback, as in compose.yaml).
secret="${PECR_LOCAL_AUTH_SHARED_SECRET:+,\"x-pecr-local-auth-secret\":\"$PECR_LOCAL_AUTH_SHARED_SECRET\"}"
# A command substitution, not `read < <(...)`: set -e ignores the exit status of a process substitution, so a
# failed open-session.ts that printed anything would leave ghz sending an empty session id or token.
opened="$(npx tsx scripts/perf/ghz/open-session.ts --url "http://$addr" --principal "${PRINCIPAL:-dev}")"
read -r session_id token <<<"$opened" || true
if [[ -z "${session_id:-}" || -z "${token:-}" ]]; then
  echo "open-session.ts did not print a session id and a token" >&2
  exit 1
fi
exec ghz --insecure \
  --proto proto/pecr/gateway/v1/gateway.proto --import-paths proto \
  --call "pecr.gateway.v1.GatewayService/$method" \
  --metadata "{\"x-pecr-principal-id\":\"${PRINCIPAL:-dev}\",\"x-pecr-session-token\":\"$token\"$secret}" \
  --data "{\"session_id\":\"$session_id\",\"params\":$(cat "$params")}" \
  --concurrency "${VUS:-10}" --total "${TOTAL:-5000}" --timeout "${TIMEOUT:-10s}" \
  --format "${FORMAT:-summary}" \
  "$addr"
