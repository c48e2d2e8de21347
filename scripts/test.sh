#!/usr/bin/env bash
# Set up and run every test: ruff and mypy, pytest against SQLite and a private PostgreSQL server on
# loopback, then schemathesis over the OpenAPI document of a live `tongdai serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
root=$PWD
work=$(mktemp -d /tmp/tongdai-test.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  if [ -n "${pgbin:-}" ] && [ -d "$work/pg" ]; then
    su postgres -c "$pgbin/pg_ctl -D $work/pg -m fast stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$root/.venv/bin/python" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# A private PostgreSQL cluster, owned by the postgres user, listening on loopback only.
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgport=$(free_port)
mkdir -p "$work/pg" && chown postgres "$work" "$work/pg" && chmod 755 "$work"
su postgres -c "$pgbin/initdb -D $work/pg -A trust -U postgres -E UTF8" >/dev/null
su postgres -c "$pgbin/pg_ctl -D $work/pg -l $work/pg/server.log -w -o \"-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off\" start" >/dev/null
export TONGDAI_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$pgport/postgres"

echo "== ruff and mypy =="
.venv/bin/ruff check src tests bench scripts
.venv/bin/mypy
.venv/bin/python -m pytest -p no:cacheprovider "$@"

# Schemathesis against a live server: as the operator, as a tenant admin, and as an agent.
export TONGDAI_DATA_DIR="$work/st" TONGDAI_DATABASE_URL="sqlite:///$work/st/tongdai.db"
.venv/bin/tongdai demo > "$work/demo.json" 2>/dev/null
port=$(free_port)
TONGDAI_SIP=off TONGDAI_HTTP_ADDR="127.0.0.1:$port" TONGDAI_LOG_LEVEL=warning .venv/bin/tongdai serve > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.2; done
for role in operator_key admin_key agent_key; do
  key=$(.venv/bin/python -c "import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/demo.json" "$role")
  echo "== schemathesis as ${role%_key} =="
  .venv/bin/schemathesis run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    -H "Authorization: Bearer $key" --exclude-path /api/v1/events \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --seed 1 --generation-deterministic \
    --suppress-health-check all --warnings off --no-color
done
if grep -q "Traceback" "$work/serve.log"; then
  echo "the server logged a traceback during schemathesis:"; cat "$work/serve.log"; exit 1
fi
echo "schemathesis: no server errors; every response as documented (status, content type, schema)"
