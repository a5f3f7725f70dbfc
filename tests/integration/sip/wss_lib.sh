# Rampart (rampart-dataplane + rampart-controlplane) behind its WSS edge in a SIP test lab, on top
# of sip_lib.sh, for the browser-side tests (wss_test.sh) and the scripted WSS UA wss_client.py.
# Everything started here is recorded by PID and ended by PID at exit; every wait is bounded.
#
# The caller sets, before sourcing: src, prefix, work (as for sip_lib.sh) and
#   dp, cp   the rampart-dataplane and rampart-controlplane binaries
# Functions:
#   wss_config OUT [KEY=VALUE...]  writes a test configuration derived from etc/rampart.yaml:
#                        own region, file prefix and management 127.0.0.1:9100/9101 in ${prefix}sbc,
#                        absolute certificate, key and JWT secret paths, the wan realm's SDP
#                        policy {srtp: sdes, rtcp_mux: false, latch: true}, its Origin allow-list
#                        [$WSS_ORIGIN]; KEY=VALUE pairs set wan websocket limits (e.g.
#                        idle_timeout_s=3)
#   wss_start            lab, dataplane, control plane ("dataplane up"), PBX; bounded waits
#   wss_cp_restart CONFIG  SIGTERM to the control plane (exit 0 checked), started again with CONFIG
#   cpm REGEX            sum of the matching control plane samples (0 when none)
#   refused REASON / jwt_rejected REASON   the wan realm's refusal counters
#   wss_alive            both processes still running (fail otherwise)
#   wss_bg NAME ARGS     wss_client.py in ${prefix}wan in the background, output in $work/NAME.out
#   wss_run NAME SECS ARGS   the same in the foreground, bounded; prints nothing, output in NAME.out
#   wss_wait_event NAME EVENT SECS   waits (bounded) for {"event": EVENT} in NAME.out
#   wss_wait NAME SECS   waits (bounded) for a wss_bg client to end
#   wss_report NAME      the client's last JSON line (its report)
#   token KIND [SUB]     a JWT for the wan realm (wss_client.py token)
# shellcheck shell=bash

dp_pid=""
cp_pid=""
shm="/${prefix%-}"
py=/usr/bin/python3  # Debian's python3 with python3-websockets, python3-jwt, python3-yaml
wss_client=$sip_dir/wss_client.py
WSS_URL=wss://198.18.1.1:8443/
WSS_ORIGIN=https://app.rampart.test
jwt_key=$src/etc/lab-certs/jwt-hs256.key
wss_pids=()
declare -A wss_pid_of=()

wss_cleanup() {  # clients, the two Rampart processes (by PID), the region, then sip_lib's part
  local p
  for p in "${wss_pids[@]}" $cp_pid $dp_pid; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local left=0
    for p in "${wss_pids[@]}" $cp_pid $dp_pid; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for p in "${wss_pids[@]}" $cp_pid $dp_pid; do kill -KILL "$p" 2>/dev/null || true; done
  rm -f "/dev/shm/${shm#/}" "/dev/shm/${shm#/}.xc"  # the region and its transcoder rings
  if [ -n "${WSS_FAILED:-}" ]; then
    echo "--- control plane log (tail)" >&2; tail -n 60 "$work/cp.log" >&2 2>/dev/null || true
    echo "--- dataplane log (tail)" >&2; tail -n 10 "$work/dp.log" >&2 2>/dev/null || true
  fi
  sip_cleanup
}
trap wss_cleanup EXIT

fail() {  # sip_lib's fail, plus the Rampart logs at exit
  WSS_FAILED=1
  echo "FAIL: $*" >&2
  tail -n 15 "$pbx_dir/kamailio.log" >&2 2>/dev/null || true
  exit 1
}

wss_config() {  # OUT [KEY=VALUE...] (wan websocket limits)
  local out=$1
  shift
  "$py" - "$src/etc/rampart.yaml" "$out" "$shm" "${prefix%-}" "$src" "$WSS_ORIGIN" "$@" <<'PY'
import sys, yaml
src_cfg, out, shm, file_prefix, src, origin = sys.argv[1:7]
ws_limits = dict(kv.split("=", 1) for kv in sys.argv[7:])
c = yaml.safe_load(open(src_cfg))
c["node"]["shm_name"] = shm
d = c["dataplane"]
d["eal_args"] = d["eal_args"] + ["--no-telemetry", "--file-prefix", file_prefix]
d["flow_capacity"] = 1024
d["idle_backoff_us"] = 200
def absolute(p):
    return p if p.startswith("/") else src + "/etc/" + p
for r in c["realms"]:
    if "tls" in r:
        for k in ("certificate", "private_key"):
            r["tls"][k] = absolute(r["tls"][k])
    for key in r.get("jwt", {}).get("keys", []):
        if "secret_file" in key:
            key["secret_file"] = absolute(key["secret_file"])
    if r["name"] == "wan":
        r["sdp"] = {"srtp": "sdes", "rtcp_mux": False, "latch": True}
        r["allowed_origins"] = [origin]
        for k, v in ws_limits.items():
            r["websocket"][k] = int(v)
# The refusal tests send every kind of bad token and identity from one address on purpose:
# keep that address from being banned for it (security_*_test cover the bans).
c["security"]["jwt_failures"] = {"max": 1000, "window_s": 60}
c["security"]["auth_failures"] = {"max": 1000, "window_s": 60}
c["management"] = {"address": "127.0.0.1", "controlplane_port": 9100, "dataplane_port": 9101}
yaml.safe_dump(c, open(out, "w"), default_flow_style=None, sort_keys=False)
PY
  "$cp" --config "$out" --check-config >"$work/check.log" 2>&1 ||
    fail "control plane refuses the test config $out: $(cat "$work/check.log")"
}

cpm() {  # REGEX: sum of the matching control plane samples
  nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9100/metrics |
    { grep -E "^($1)" || true; } | awk '{s += $NF} END {print s + 0}'
}
refused() { cpm "rampart_cp_connections_refused_total\\{realm=\"wan\",reason=\"$1\"\\}"; }
jwt_rejected() { cpm "rampart_cp_jwt_rejections_total\\{realm=\"wan\",reason=\"$1\"\\}"; }

wss_alive() {
  kill -0 "$cp_pid" 2>/dev/null || fail "rampart-controlplane is gone (pid $cp_pid)"
  kill -0 "$dp_pid" 2>/dev/null || fail "rampart-dataplane is gone (pid $dp_pid)"
}

_cp_start() {  # CONFIG LOG
  # Not through nsx: `ip netns exec` execs the program, so $! is the process's own PID.
  ip netns exec "$sbc" "$cp" --config "$1" --log-level debug >"$2" 2>&1 &
  cp_pid=$!
  for _ in $(seq 1 100); do grep -q "dataplane up" "$2" && break; sleep 0.1; done
  grep -q "dataplane up" "$2" || fail "control plane did not attach to the dataplane"
  for _ in $(seq 1 50); do [ "$(cpm rampart_cp_dataplane_connected)" = 1 ] && return 0; sleep 0.1; done
  fail "control plane metrics do not show the dataplane connected"
}

wss_start() {
  sip_lab_up
  ip netns exec "$sbc" "$dp" --config "$config" >"$work/dp.log" 2>&1 &
  dp_pid=$!
  for _ in $(seq 1 150); do grep -q "ready:" "$work/dp.log" && break; sleep 0.1; done
  grep -q "ready:" "$work/dp.log" || fail "dataplane not ready: $(tail -n 5 "$work/dp.log")"
  _cp_start "$config" "$work/cp.log"
  sip_pbx_up
}

wss_cp_restart() {  # CONFIG
  local rc=0
  kill -TERM "$cp_pid"
  for _ in $(seq 1 50); do kill -0 "$cp_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$cp_pid" || rc=$?
  cp_pid=""
  [ "$rc" = 0 ] || fail "rampart-controlplane exited $rc on SIGTERM"
  cat "$work/cp.log" >>"$work/cp.first.log"
  _cp_start "$1" "$work/cp.log"
}

token() {  # KIND [SUB]
  "$py" "$wss_client" token --key "$jwt_key" --kind "$1" --sub "${2:-alice}"
}

wss_bg() {  # NAME ARGS...
  local name=$1
  shift
  ip netns exec "$wan" "$py" "$wss_client" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  wss_pid_of[$name]=$!
  wss_pids+=($!)
}

wss_run() {  # NAME SECS ARGS...
  local name=$1 secs=$2 rc=0
  shift 2
  timeout -k 2 "$secs" ip netns exec "$wan" "$py" "$wss_client" "$@" >"$work/$name.out" \
    2>"$work/$name.err" || rc=$?
  [ "$rc" = 0 ] || fail "wss_client $name exited $rc: $(tail -n 5 "$work/$name.err")"
}

wss_wait_event() {  # NAME EVENT SECS
  for _ in $(seq 1 $(($3 * 10))); do
    grep -q "\"event\": \"$2\"" "$work/$1.out" 2>/dev/null && return 0
    kill -0 "${wss_pid_of[$1]}" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "\"event\": \"$2\"" "$work/$1.out" 2>/dev/null && return 0
  echo "--- $1:" >&2; cat "$work/$1.out" "$work/$1.err" >&2 2>/dev/null || true
  fail "wss_client $1: no $2 event within $3 s"
}

wss_wait() {  # NAME SECS
  local pid=${wss_pid_of[$1]} rc=0
  for _ in $(seq 1 $(($2 * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "wss_client $1 still running after $2 s"
  wait "$pid" || rc=$?
  [ "$rc" = 0 ] || fail "wss_client $1 exited $rc: $(tail -n 5 "$work/$1.err")"
}

wss_report() { tail -n 1 "$work/$1.out"; }
