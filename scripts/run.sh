#!/usr/bin/env bash
# Set up, load the demo tenant on SQLite, and serve tongdai (HTTP on TONGDAI_HTTP_ADDR, default
# 127.0.0.1:8080). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TONGDAI_DATA_DIR="${TONGDAI_DATA_DIR:-$PWD/var}"
.venv/bin/tongdai db upgrade
echo "== demo tenant (keys also in $TONGDAI_DATA_DIR/demo-keys.json) =="
.venv/bin/tongdai demo
.venv/bin/python - "$TONGDAI_DATA_DIR/demo-keys.json" "${TONGDAI_HTTP_ADDR:-127.0.0.1:8080}" <<'PY'
import json, sys
keys = json.load(open(sys.argv[1]))
print(f"== call widget (agents' softphone in the browser): http://{sys.argv[2]}/widget ==")
print(f"== portal: http://{sys.argv[2]}/ — sign in as ==")
for email, password in keys.get("portal_sign_ins", {}).items():
    print(f"   {email:32} {password}")
sip = __import__("os").environ.get("TONGDAI_SIP_ADDR", "127.0.0.1:5060")
print(f"== a first call (docs/first-call.md): register a softphone on {sip} ==")
for user, password in keys.get("sip_agents", {}).items():
    print(f"   user {user}@demo.tongdai.local  password {password}")
print("   dial any Vietnamese number (0981234567): the demo carrier answers with a tone;")
print("   `.venv/bin/tongdai demo call-in` (another shell, same TONGDAI_DATA_DIR) rings the demo hotline")
PY
# tongdai serve exits with 75 when its SIP engine stopped answering its liveness probe: start it again
while true; do
  code=0
  .venv/bin/tongdai serve || code=$?
  [ "$code" -eq 75 ] || exit "$code"
  echo "== tongdai serve asked to be restarted =="
done
