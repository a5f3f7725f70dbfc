#!/usr/bin/env bash
# Prometheus and the Grafana dashboard against the real binaries (ops_lib.sh):
#  1. `promtool check metrics` passes on both processes' /metrics (control plane, dataplane);
#  2. a real Prometheus (Debian's) in the management namespace scrapes both every second while
#     calls are made (an answered echo call, a busy one);
#     and security refusals happen (a scanner's OPTIONS dropped, a manual ban, a call refused
#     by a route's calls_per_second admission limit), so the dashboard's security panel has data;
#  3. every PromQL query of mgmt/grafana/rampart-dashboard.json returns data from it.
# About 50 s. usage: metrics_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rop
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
# shellcheck source=ops_lib.sh
. "$src/tests/integration/ops/ops_lib.sh"
for tool in prometheus promtool; do
  command -v "$tool" >/dev/null || fail "$tool is missing (tools/bootstrap installs prometheus)"
done

prom_pid=""
metrics_cleanup() {
  ops_stop_pid "$prom_pid"
  b2b_cleanup
}
trap metrics_cleanup EXIT

# A route whose calls_per_second (1/s, burst 1) refuses the second of two quick calls.
B2B_ROUTES='[{"name": "admission-probe", "from": "wan", "to": "lan", "match_user": "^8",
              "target": "sip:198.18.3.2:5060", "calls_per_second": {"per_second": 1, "burst": 1}}]'
ops_config 100
/usr/bin/python3 "$src/tests/integration/ops/edit_config.py" "$config" add_wss
b2b_start
step "Rampart up"

step "1. promtool check metrics"
for port in 9100 9101; do
  nsx "$mgt" curl -sf --max-time 3 "http://$MGMT_ADDR:$port/metrics" >"$work/metrics.$port"
  promtool check metrics <"$work/metrics.$port" >"$work/promtool.$port" 2>&1 ||
    { cat "$work/promtool.$port"; fail "promtool check metrics on :$port"; }
  echo "   :$port $(grep -c '^# TYPE' "$work/metrics.$port") families, promtool ok"
done

step "2. Prometheus scraping both processes"
cat >"$work/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: rampart
    static_configs: [{targets: ['$MGMT_ADDR:9100', '$MGMT_ADDR:9101']}]
EOF
ip netns exec "$mgt" prometheus --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$work/prom" --web.listen-address=127.0.0.1:9090 \
  >"$work/prometheus.log" 2>&1 &
prom_pid=$!
up=0
for _ in $(seq 1 100); do
  up=$(nsx "$mgt" curl -sf --max-time 2 'http://127.0.0.1:9090/api/v1/query?query=sum(up)' |
    /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null || echo 0)
  [ "$up" = 2 ] && break
  sleep 0.2
done
[ "$up" = 2 ] || fail "Prometheus does not see both targets up: $(tail -n 5 "$work/prometheus.log")"
sip_run "$wan" call1 20 -sf "$S/uac_call.xml" "$SBC" -s 600 -i "$WAN_SIG" -p 5060 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 3000 -m 1
sip_run "$wan" busy 10 -sf "$S/uac_busy.xml" "$SBC" -s 486 -i "$WAN_SIG" -p 5061 -t u1 \
  -mi "$WAN_MED" -mp 7002 -m 1
cdr_wait 5 "r['result'] == 'answered' and r['legs']['a']['quality'] is not None" >/dev/null
# Security refusals for the dashboard's security panel: a scanner dropped, a ban, an admission
# refusal (the PBX turns the first call to 801 down; Rampart refuses the second with 503).
probe=$(nsx "$wan" /usr/bin/python3 "$src/tests/integration/security/sip_probe.py" "$WAN_SIG" \
  "$SBC" OPTIONS friendly-scanner)
[ "$probe" = none ] || fail "a scanner's OPTIONS was answered: $probe"
CTL_ROLE=operator ctl bans add 198.18.1.77 --seconds 120 >/dev/null || fail "rampartctl bans add"
sip_run_fail "$wan" refused 10 -sf "$S/uac_call.xml" "$SBC" -s 801 -i "$WAN_SIG" -p 5062 -t u1 \
  -mi "$WAN_MED" -mp 7004 -m 2 -r 20
for m in 'rampart_cp_security_refused_total\{.*reason="scanner"' 'rampart_cp_bans_total\{' \
         'rampart_cp_calls_refused_total\{.*reason="call_rate"'; do
  [ "$(cpm "$m")" -ge 1 ] || fail "not counted: $m"
done
sleep 3  # a few more scrapes after the call's quality was observed

step "3. every dashboard query returns data"
nsx "$mgt" /usr/bin/python3 - "$src/mgmt/grafana/rampart-dashboard.json" <<'PY' || fail "dashboard queries"
import json, sys, time, urllib.parse, urllib.request
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
missing = []
for e in exprs:
    result = []
    for _ in range(20):  # up to 10 s for the slowest window to fill
        url = "http://127.0.0.1:9090/api/v1/query?" + urllib.parse.urlencode({"query": e})
        d = json.load(urllib.request.urlopen(url, timeout=5))
        assert d["status"] == "success", (e, d)
        result = [r for r in d["data"]["result"] if r["value"][1] not in ("NaN",)]
        if result:
            break
        time.sleep(0.5)
    print(f"   {len(result):3} series  {e}")
    if not result:
        missing.append(e)
if missing:
    print("no data:", *missing, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"   all {len(exprs)} queries return data")
PY
b2b_alive
b2b_stop_rampart
step "PASS"
