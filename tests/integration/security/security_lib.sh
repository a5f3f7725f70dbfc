# Helpers of the security tests, on top of b2bua_lib.sh (Rampart + the lab PBX in a lab of their
# own): security settings merged into the test config, extra source addresses in the wan
# namespace, flood runs of sipp without message traces, and a one-shot SIP probe.
#   sec_config JSON_SECURITY [JSON_WAN_REALM_SECURITY]   merges into $config, re-checks it
#   sec_sources FIRST COUNT     adds 198.18.1.FIRST.. on wan-sig (flood and probe sources)
#   sec_flood NAME SRC SCENARIO RATE SECS   sipp in the background, statistics only
#   sec_flood_wait NAME...      waits (bounded) for the flood runs to end (their exit is ignored:
#                               a flooder's calls "fail" by design)
#   sec_probe SRC METHOD [UA]   final status answered to one request from SRC, or "none"
#   restart_cp [CMD ARGS...]    SIGTERM to the control plane, runs CMD (e.g. edits a file), starts
#                               it again on the same config; bounded waits
# shellcheck shell=bash

sec_config() {  # JSON_SECURITY [JSON_WAN_REALM_SECURITY]
  /usr/bin/python3 - "$config" "$1" "${2:-{\}}" <<'PY'
import json, sys, yaml
path, sec, realm_sec = sys.argv[1:4]
c = yaml.safe_load(open(path))
c["security"].update(json.loads(sec))
for r in c["realms"]:
    if r["name"] == "wan" and json.loads(realm_sec):
        r["security"] = json.loads(realm_sec)
yaml.safe_dump(c, open(path, "w"), default_flow_style=None, sort_keys=False)
PY
  "$cp" --config "$config" --check-config >"$work/check.log" 2>&1 ||
    fail "control plane refuses the security config: $(cat "$work/check.log")"
}

sec_sources() {  # FIRST COUNT
  local i
  for i in $(seq "$1" $(($1 + $2 - 1))); do
    nsx "$wan" ip addr add "198.18.1.$i/24" dev wan-sig
  done
}

sec_flood() {  # NAME SRC SCENARIO RATE SECS
  local name=$1 src_ip=$2 scen=$3 rate=$4 secs=$5
  timeout -k 2 $((secs + 3)) ip netns exec "$wan" sipp -sf "$sec_dir/$scen" "$SBC" -i "$src_ip" \
    -p 5090 -t u1 -r "$rate" -m $((rate * secs)) -nostdin -timeout "$((secs + 1))s" \
    >"$work/$name.out" 2>&1 &
  sip_pid_of[$name]=$!
  sip_pids+=($!)
}

sec_flood_wait() {  # NAME...
  local name pid
  for name in "$@"; do
    pid=${sip_pid_of[$name]}
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "flood $name did not end"
    wait "$pid" 2>/dev/null || true
  done
}

sec_probe() {  # SRC METHOD [UA]
  nsx "$wan" /usr/bin/python3 "$sec_dir/sip_probe.py" "$1" "$SBC" "$2" "${3:-}" 1
}

restart_cp() {  # [CMD ARGS...]
  kill -TERM "$cp_pid"
  for _ in $(seq 1 50); do kill -0 "$cp_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$cp_pid" || fail "rampart-controlplane exited $? on SIGTERM"
  if [ $# -gt 0 ]; then "$@"; fi
  ip netns exec "$sbc" "$cp" --config "$config" --log-level info >>"$work/cp.log" 2>&1 &
  cp_pid=$!
  for _ in $(seq 1 100); do [ "$(cpm rampart_cp_dataplane_connected)" = 1 ] && break; sleep 0.1; done
  [ "$(cpm rampart_cp_dataplane_connected)" = 1 ] || fail "restarted control plane did not attach"
}
