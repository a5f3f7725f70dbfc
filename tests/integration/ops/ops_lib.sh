# Rampart with its management API in a lab of its own, on top of b2bua_lib.sh: the management
# side is a namespace ${prefix}mgt (198.18.255.1) joined to ${prefix}sbc (198.18.255.2, where
# metrics and the API listen), as an operator's management network would be.
#
# The caller sets src, prefix, work, dp, cp (as for b2bua_lib.sh), then calls:
#   ops_config           b2b_config plus management on 198.18.255.2 with the API (port 9443,
#                        the lab certificate) and three fresh tokens, one per role, in
#                        $work/token.{viewer,operator,admin}; CDRs in $work/cdr, the audit
#                        log $work/audit.log
#   api NS METHOD PATH [TOKEN_ROLE] [BODY_FILE]   curl to the API from NS; prints the body,
#                        then a last line "HTTP <status>"
#   ctl [ARGS...]        rampartctl from ${prefix}mgt (the lab CA trusted); token via
#                        RAMPART_TOKEN_FILE when CTL_ROLE is set
#   step TEXT            prints TEXT with the seconds since the test began
#   ops_stop_pid PID     ends a helper the test started (coturn, Prometheus): TERM, up to 3 s,
#                        then KILL; nothing for an empty PID or one that has already ended
# cpm/dpm (b2bua_lib.sh) read the metrics on the management address.
# shellcheck shell=bash

SIP_LAB_MGMT=ns
mgt=${prefix}mgt
MGMT_ADDR=198.18.255.2
API_URL=https://$MGMT_ADDR:9443
CA=$src/etc/lab-certs/ca.crt
rampartctl=$src/mgmt/rampartctl/rampartctl

step() { echo "$* (t=$((SECONDS - t0))s)"; }

ops_stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

ops_config() {
  b2b_config "$@"
  local role
  for role in viewer operator admin; do
    /usr/bin/python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$work/token.$role"
  done
  /usr/bin/python3 - "$config" "$src" "$work" <<'PY'
import hashlib, sys, yaml
config, src, work = sys.argv[1:4]
c = yaml.safe_load(open(config))
tokens = []
for role in ("viewer", "operator", "admin"):
    t = open(f"{work}/token.{role}").read().strip()
    tokens.append({"name": f"test-{role}", "role": role,
                   "sha256": hashlib.sha256(t.encode()).hexdigest()})
c["management"] = {"address": "198.18.255.2", "controlplane_port": 9100, "dataplane_port": 9101,
                   "api": {"port": 9443,
                           "tls": {"certificate": f"{src}/etc/lab-certs/wss.crt",
                                   "private_key": f"{src}/etc/lab-certs/wss.key"},
                           "tokens": tokens},
                   "cdr": {"directory": f"{work}/cdr", "fsync_interval_ms": 100},
                   "audit": {"file": f"{work}/audit.log"}}
yaml.safe_dump(c, open(config, "w"), default_flow_style=None, sort_keys=False)
PY
  "$cp" --config "$config" --check-config >"$work/check.log" 2>&1 ||
    fail "control plane refuses the test config: $(cat "$work/check.log")"
}

cpm() {
  nsx "$sbc" curl -sf --max-time 3 "http://$MGMT_ADDR:9100/metrics" |
    { grep -E "^($1)" || true; } | awk '{s += $NF} END {print s + 0}'
}
dpm() {
  nsx "$sbc" curl -sf --max-time 3 "http://$MGMT_ADDR:9101/metrics" |
    { grep -E "^($1)" || true; } | awk '{s += $NF} END {print s + 0}'
}

api() {  # NS METHOD PATH [ROLE] [BODY_FILE]
  local ns=$1 method=$2 path=$3 role=${4:-} body=${5:-}
  local args=(-s --max-time 5 --cacert "$CA" -X "$method" -w '\nHTTP %{http_code}\n')
  [ -n "$role" ] && args+=(-H "Authorization: Bearer $(cat "$work/token.$role")")
  [ -n "$body" ] && args+=(--data-binary "@$body" -H 'Content-Type: application/yaml')
  nsx "$ns" curl "${args[@]}" "$API_URL$path" || echo "HTTP 000"
}

ctl() {
  local env=(RAMPART_API_URL="$API_URL" RAMPART_CACERT="$CA")
  [ -n "${CTL_ROLE:-}" ] && env+=(RAMPART_TOKEN_FILE="$work/token.$CTL_ROLE")
  nsx "$mgt" env "${env[@]}" /usr/bin/python3 "$rampartctl" "$@"
}

cdr_wait() {  # SECS PYTHON_EXPR: waits for a CDR line `r` (a dict) for which EXPR holds; prints it
  local secs=$1 expr=$2
  for _ in $(seq 1 $((secs * 5))); do
    /usr/bin/python3 "$src/tests/integration/ops/cdr_find.py" "$work/cdr/cdr.jsonl" "$expr" && return 0
    sleep 0.2
  done
  fail "no CDR with $expr after ${secs}s: $(cat "$work/cdr/cdr.jsonl" 2>/dev/null)"
}
