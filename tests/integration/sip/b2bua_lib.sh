# Rampart itself (rampart-dataplane + rampart-controlplane) in a SIP test lab, on top of
# sip_lib.sh: a configuration derived from etc/rampart.yaml (wan realm as a UDP/TCP trunk with
# latching, test routes, short SIP timers), both processes started in ${prefix}sbc and ended by
# PID at exit, metric helpers for both processes.
#
# The caller sets, before sourcing: src, prefix, work (as for sip_lib.sh) and
#   dp, cp   the rampart-dataplane and rampart-controlplane binaries
# Functions:
#   b2b_config [T1_MS]       writes $work/rampart.yaml (routes below; sip.t1_ms, default 100;
#                            B2B_LOAD=1: INVITE rate limits raised for load from one source;
#                            B2B_ROUTES (JSON list) routes put before the ones below;
#                            B2B_SIP (JSON map) more sip: keys)
#   b2b_start                lab, dataplane, control plane ("dataplane up"), PBX; bounded waits
#   b2b_stop_rampart         SIGTERM to both (control plane first), bounded, exit codes checked
#   cpm REGEX / dpm REGEX    sum of the matching control/data plane metric samples
#   cp_metric_dump NAME      saves both metric pages to $work/NAME.{cp,dp}.prom
#   b2b_wait_idle SECS       waits until calls, media ports and flows are 0 (bounded)
#   b2b_wait_txn_zero SECS   waits until rampart_cp_transactions_active is 0 (bounded)
#   cp_rss_kb                resident set size of rampart-controlplane (kB)
#   b2b_alive                both processes still running (fail otherwise)
# Test routes (first match wins):
#   wan '^7'  -> sip:198.18.3.2:5080   a sipp UAS the test starts in the lan namespace
#   wan '^echo$' -> targets [sip:198.18.3.99:5060 (nobody), sip:198.18.3.2:5060 (the PBX)]
#   wan ''    -> sip:198.18.3.2:5060   the PBX (600 echo, 486, 408, 183, registered users)
# lan -> wan calls go to the callee's bindings registered through Rampart (no route needed).
# shellcheck shell=bash

dp_pid=""
cp_pid=""
shm="/${prefix%-}"
config=$work/rampart.yaml

b2b_cleanup() {  # the two Rampart processes (by PID), the shared-memory region, then sip_lib
  local p
  for p in $cp_pid $dp_pid; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local left=0
    for p in $cp_pid $dp_pid; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for p in $cp_pid $dp_pid; do kill -KILL "$p" 2>/dev/null || true; done
  rm -f "/dev/shm/${shm#/}" "/dev/shm/${shm#/}.xc"  # the region and its transcoder rings
  if [ "${SIP_KEEP_WORK:-0}" != 1 ] && [ -n "${B2B_FAILED:-}" ]; then
    echo "--- control plane log (tail)" >&2; tail -n 40 "$work/cp.log" >&2 2>/dev/null || true
    echo "--- dataplane log (tail)" >&2; tail -n 10 "$work/dp.log" >&2 2>/dev/null || true
  fi
  sip_cleanup
}
trap b2b_cleanup EXIT

# fail() from sip_lib.sh, plus a marker so the exit trap prints the Rampart logs.
fail() {
  B2B_FAILED=1
  echo "FAIL: $*" >&2
  tail -n 15 "$pbx_dir/kamailio.log" >&2 2>/dev/null || true
  exit 1
}

b2b_config() {  # [T1_MS]
  /usr/bin/python3 - "$src/etc/rampart.yaml" "$config" "$shm" "${prefix%-}" "$src" "${1:-100}" \
    "${B2B_LOAD:-0}" "${B2B_ROUTES:-[]}" "${B2B_SIP:-{\}}" <<'PY'
import json, sys, yaml
src_cfg, out, shm, file_prefix, src, t1, load, routes, sip = sys.argv[1:10]
c = yaml.safe_load(open(src_cfg))
c["node"]["shm_name"] = shm
d = c["dataplane"]
d["eal_args"] = d["eal_args"] + ["--no-telemetry", "--file-prefix", file_prefix]
d["flow_capacity"] = 2048
d["idle_backoff_us"] = 200
for r in c["realms"]:
    if r["name"] == "wan":
        r["sdp_profile"] = "trunk"
        r["signalling"] = [{"transport": "udp", "address": "198.18.1.1", "port": 5060},
                           {"transport": "tcp", "address": "198.18.1.1", "port": 5060},
                           {"transport": "tls", "address": "198.18.1.1", "port": 5061}]
        for k in ("websocket", "jwt", "allowed_origins"):  # WSS-only settings
            r.pop(k, None)
        r["sdp"] = {"latch": True}
    for k in ("certificate", "private_key"):
        if "tls" in r and not r["tls"][k].startswith("/"):
            r["tls"][k] = src + "/etc/" + r["tls"][k]
    for key in r.get("jwt", {}).get("keys", []):
        if "secret_file" in key and not key["secret_file"].startswith("/"):
            key["secret_file"] = src + "/etc/" + key["secret_file"]
c["routes"] = [
    {"name": "to-uas", "from": "wan", "to": "lan", "match_user": "^7",
     "target": "sip:198.18.3.2:5080"},
    {"name": "failover", "from": "wan", "to": "lan", "match_user": "^echo$",
     "targets": ["sip:198.18.3.99:5060", "sip:198.18.3.2:5060"]},
    {"name": "to-pbx", "from": "wan", "to": "lan", "match_user": "",
     "target": "sip:198.18.3.2:5060"},
]
c["routes"] = json.loads(routes) + c["routes"]
c["sip"] = dict({"t1_ms": int(t1)}, **json.loads(sip))
if load == "1":  # load tests: one sipp source places tens of calls a second
    c["security"]["invite_per_source"] = {"per_second": 500, "burst": 1000}
    c["security"]["invite_global"] = {"per_second": 1000, "burst": 2000}
    c["security"]["requests_per_source"] = {"per_second": 5000, "burst": 10000}
    c["security"]["per_aor"] = {"per_second": 1000, "burst": 2000}
c["management"] = {"address": "127.0.0.1", "controlplane_port": 9100, "dataplane_port": 9101}
yaml.safe_dump(c, open(out, "w"), default_flow_style=None, sort_keys=False)
PY
  "$cp" --config "$config" --check-config >"$work/check.log" 2>&1 ||
    fail "control plane refuses the test config: $(cat "$work/check.log")"
}

cpm() {  # REGEX: sum of the matching control plane samples
  nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9100/metrics |
    { grep -E "^($1)" || true; } | awk '{s += $NF} END {print s + 0}'
}
dpm() {
  nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9101/metrics |
    { grep -E "^($1)" || true; } | awk '{s += $NF} END {print s + 0}'
}
cp_metric_dump() {
  nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9100/metrics >"$work/$1.cp.prom" || true
  nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9101/metrics >"$work/$1.dp.prom" || true
}

b2b_alive() {
  kill -0 "$cp_pid" 2>/dev/null || fail "rampart-controlplane is gone (pid $cp_pid)"
  kill -0 "$dp_pid" 2>/dev/null || fail "rampart-dataplane is gone (pid $dp_pid)"
}

b2b_start() {
  sip_lab_up
  [ -f "$config" ] || b2b_config
  # Not through nsx: `ip netns exec` execs the program, so $! is the process's own PID.
  ip netns exec "$sbc" "$dp" --config "$config" >"$work/dp.log" 2>&1 &
  dp_pid=$!
  for _ in $(seq 1 150); do grep -q "ready:" "$work/dp.log" && break; sleep 0.1; done
  grep -q "ready:" "$work/dp.log" || fail "dataplane not ready: $(tail -n 5 "$work/dp.log")"
  ip netns exec "$sbc" "$cp" --config "$config" --log-level "${B2B_LOG_LEVEL:-debug}" \
    >"$work/cp.log" 2>&1 &
  cp_pid=$!
  for _ in $(seq 1 100); do grep -q "dataplane up" "$work/cp.log" && break; sleep 0.1; done
  grep -q "dataplane up" "$work/cp.log" || fail "control plane did not attach to the dataplane"
  for _ in $(seq 1 50); do [ "$(cpm rampart_cp_dataplane_connected)" = 1 ] && break; sleep 0.1; done
  sip_pbx_up
}

b2b_stop_rampart() {
  local rc=0
  kill -TERM "$cp_pid"
  for _ in $(seq 1 50); do kill -0 "$cp_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$cp_pid" || rc=$?
  cp_pid=""
  [ "$rc" = 0 ] || fail "rampart-controlplane exited $rc on SIGTERM"
  kill -TERM "$dp_pid"
  for _ in $(seq 1 50); do kill -0 "$dp_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$dp_pid" || rc=$?
  dp_pid=""
  [ "$rc" = 0 ] || fail "rampart-dataplane exited $rc on SIGTERM"
}

b2b_idle_state() {
  echo "calls=$(cpm rampart_cp_calls_active) ports=$(cpm rampart_cp_media_ports_in_use)" \
       "flows=$(dpm 'rampart_dp_flows[{ ]')" \
       "txns=$(cpm rampart_cp_transactions_active)"
}
b2b_wait_idle() {  # SECS: calls, media ports and flows all 0
  local secs=$1
  for _ in $(seq 1 $((secs * 5))); do
    [ "$(cpm rampart_cp_calls_active)" = 0 ] && [ "$(cpm rampart_cp_media_ports_in_use)" = 0 ] &&
      [ "$(dpm 'rampart_dp_flows[{ ]')" = 0 ] && return 0
    sleep 0.2
  done
  fail "not idle after ${secs}s: $(b2b_idle_state)"
}
b2b_wait_txn_zero() {  # SECS
  local secs=$1 t0=$SECONDS
  for _ in $(seq 1 $((secs * 5))); do
    [ "$(cpm rampart_cp_transactions_active)" = 0 ] && { echo "   transactions 0 after $((SECONDS - t0)) s"; return 0; }
    sleep 0.2
  done
  fail "transactions still active after ${secs}s: $(cpm rampart_cp_transactions_active)"
}
cp_rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$cp_pid/status"; }
