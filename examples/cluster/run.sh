#!/usr/bin/env bash
# The cluster chat on one machine: PostgreSQL (started here unless EFFECT_OTP_PG_URL is set),
# two runners on 127.0.0.1:34001 and :34002, the client's scripted session, then runner2
# stopped with SIGTERM and the rooms surveyed again. Everything started here is stopped at the
# end, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

logs="$(mktemp -d)"
pids=()
own_pg=""
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$own_pg" ]; then examples/cluster/postgres.sh stop; fi
}
trap cleanup EXIT

if [ -z "${EFFECT_OTP_PG_URL:-}" ]; then
  EFFECT_OTP_PG_URL="$(examples/cluster/postgres.sh start)"
  own_pg=1
fi
export EFFECT_OTP_PG_URL
echo "PostgreSQL: $EFFECT_OTP_PG_URL"

for n in 1 2; do
  node --import tsx examples/cluster/runner.ts "3400$n" "runner$n" >"$logs/runner$n.log" 2>&1 &
  pids+=("$!")
done
for n in 1 2; do
  # Wait for the runner's "ready" line (or its death).
  until grep -q "^ready" "$logs/runner$n.log"; do
    if ! kill -0 "${pids[$((n - 1))]}" 2>/dev/null; then cat "$logs/runner$n.log"; exit 1; fi
    sleep 0.2
  done
  echo "runner$n ready"
done

node --import tsx examples/cluster/client.ts session

echo "runner2 stops (SIGTERM): its rooms move to runner1, their history with them"
kill -TERM "${pids[1]}"
wait "${pids[1]}" || true
node --import tsx examples/cluster/client.ts survey

# Stop the runners (SIGTERM: each stops its rooms, saving their state), then show their logs.
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
pids=()
for n in 1 2; do
  echo "--- runner$n"
  grep -v -e "^ready" -e "Listening on" "$logs/runner$n.log" || true
done
