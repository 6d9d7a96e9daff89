#!/usr/bin/env bash
# ghz: ControllerService.Run under closed-loop load (the suite's controller baselines and fault scenarios).
# ghz reports latency percentiles and the gRPC status of each call; it does not read terminal modes (use the k6
# script or `npm run perf` for that).
#
#   scripts/perf/ghz/controller-run.sh [host:port]     (default 127.0.0.1:8081)
#
# Env: REQUEST (scripts/perf/k6/requests/run-mock.json; run-extractive.json for the extractive planner),
# PRINCIPAL (dev), VUS (10), CONNECTIONS (4), DURATION (10s), TIMEOUT (30s), FORMAT (summary; json, csv, ...),
# PECR_LOCAL_AUTH_SHARED_SECRET (unset).
set -euo pipefail
cd "$(dirname "$0")/../../.."
addr="${1:-127.0.0.1:8081}"
# The shared secret, when the controller is configured with one (bound beyond loopback, as in compose.yaml).
secret="${PECR_LOCAL_AUTH_SHARED_SECRET:+,\"x-pecr-local-auth-secret\":\"$PECR_LOCAL_AUTH_SHARED_SECRET\"}"
exec ghz --insecure \
  --proto proto/pecr/controller/v1/controller.proto --import-paths proto \
  --call pecr.controller.v1.ControllerService/Run \
  --metadata "{\"x-pecr-principal-id\":\"${PRINCIPAL:-dev}\"$secret}" \
  --data-file "${REQUEST:-scripts/perf/k6/requests/run-mock.json}" \
  --concurrency "${VUS:-10}" --connections "${CONNECTIONS:-4}" \
  --duration "${DURATION:-10s}" --timeout "${TIMEOUT:-30s}" \
  --format "${FORMAT:-summary}" \
  "$addr"
