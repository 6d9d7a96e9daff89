#!/usr/bin/env bash
# ghz: the transport limit — pecr.testing.v1.EchoService/Echo against the echo server the suite starts
# (`npx tsx scripts/perf/suite7/processes/echo-process.ts bootstrap|bare` prints its URL).
#
#   scripts/perf/ghz/echo.sh host:port
#
# Env: VUS (10), CONNECTIONS (4), DURATION (10s), FORMAT (summary).
set -euo pipefail
cd "$(dirname "$0")/../../.."
addr="${1:?usage: scripts/perf/ghz/echo.sh host:port}"
exec ghz --insecure \
  --proto proto/pecr/testing/v1/echo.proto --import-paths proto \
  --call pecr.testing.v1.EchoService/Echo \
  --data-file scripts/perf/k6/requests/echo.json \
  --concurrency "${VUS:-10}" --connections "${CONNECTIONS:-4}" --duration "${DURATION:-10s}" \
  --format "${FORMAT:-summary}" \
  "$addr"
