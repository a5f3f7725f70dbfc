#!/usr/bin/env bash
# Relayed calls' forwarding latency beside transcoded calls (issue 13: "relayed calls gain no
# latency from transcoding load", measured): the real rampart-dataplane and rampart-transcoder
# in a lab of their own (tools/lab shape, prefix rxl<pid>-), flows programmed with
# rampart-flowctl on one worker. rampart-media-peer sends RELAYED streams of 20 ms PCMU through
# relayed flows wan -> lan and measures each packet's one-way delay (send and receive clocks
# are the same host's); the run is made twice in a row: alone, then while LOAD PCMU -> Opus
# transcoded streams run through the same worker and the transcoder (the transcoder's CPU from
# rampart_xc_cpu_seconds_total). Prints relay_p50_us/relay_p99_us for both runs and their ratio.
# In the loaded run one more transcoded stream is measured end to end (xc_latency.py: PCMU sent
# from wan, Opus received on lan, the k-th packet out against the k-th in): the one-way latency
# a transcoded call adds, xc_oneway_p50_us/p99_us.
# usage: relay_latency.sh TOP BUILD_DIR RELAYED LOAD SECONDS
set -euo pipefail
src=$1
build=$2
relayed=$3
load=$4
seconds=$5
dp=$build/dataplane/rampart-dataplane
xc=$build/dataplane/transcoder/rampart-transcoder
flowctl=$build/tools/flowctl/rampart-flowctl
peer=$build/tools/media_peer/rampart-media-peer
tool=$build/tests/integration/dataplane/dp_tool
for b in "$dp" "$xc" "$flowctl" "$peer" "$tool"; do
  [ -x "$b" ] || { echo "bench-transcode --latency: $b not built" >&2; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
prefix="rxl$(( $$ % 100000 ))-"
shm="/rxl-$$"
mport=$((20000 + ($$ + 17) % 20000))
work=$(mktemp -d "/tmp/rxl-$$-XXXX")
# shellcheck source=../../tests/integration/dataplane/lab_lib.sh
. "$src/tests/integration/dataplane/lab_lib.sh"
fctl() { nsx "$sbc" "$flowctl" --shm "$shm" "$@"; }
W=198.18.2.1; B=198.18.2.2; L=198.18.4.1; P=198.18.4.2

# A short idle back-off (the lab's 500 us would dominate the figures) and room for the flows.
lab_start "s#idle_backoff_us: 500#idle_backoff_us: 20#" "s#flow_capacity: 256#flow_capacity: 4096#"
ip netns exec "$sbc" "$xc" --shm "$shm" >"$work/xc.log" 2>&1 &
bg_pids+=($!)
for _ in $(seq 1 50); do grep -q attached "$work/xc.log" && break; sleep 0.1; done
grep -q attached "$work/xc.log" || fail "transcoder did not attach"

# flows BASE_IN BASE_OUT N BASE_REMOTE: N flows on worker 0, from wan B:BASE_REMOTE+2i to
# W:BASE_IN+2i, out to lan P:BASE_OUT+2i; prints their handles.
flows() {
  local i handle
  for i in $(seq 0 $(($3 - 1))); do
    handle=$(fctl add --worker 0 --in-port 0 --in-local "$W:$(($1 + 2 * i))" \
      --in-remote "$B:$(($4 + 2 * i))" --out-port 1 --out-local "$L:$(($1 + 2 * i))" \
      --out-remote "$P:$(($2 + 2 * i))" --cookie $((i + 1))) || fail "FlowAdd"
    echo "$handle"
  done
}
flows 20000 24000 "$relayed" 5000 >/dev/null
mapfile -t xflows < <(flows 30000 34000 "$((load + 1))" 9000)  # the last one is measured
for h in "${xflows[@]}"; do
  fctl xcode --worker 0 "$h" --from pcmu:0 --to opus:111 >/dev/null || fail "xcode"
done
resolved "$wan" "$W" "$B:4999" "$W:1" || fail "wan side unresolved"
resolved "$lan" "$L" "$P:4999" "$L:1" || fail "lan side unresolved"

# run NAME WITH_LOAD: the relayed streams measured (and the load sent when WITH_LOAD is 1).
run() {
  nsx "$lan" "$peer" --mode recv --local "$P:24000" --streams "$relayed" \
    --duration "$seconds" --drain-ms 800 --quiet >"$work/$1.recv" &
  local rp=$! lp="" xs="" xr=""
  if [ "$2" = 1 ]; then
    nsx "$wan" "$peer" --mode send --local "$B:9000" --remote "$W:30000" --streams "$load" \
      --duration "$((seconds + 1))" --start-delay-ms 0 --quiet >/dev/null &
    lp=$!
    sleep 1  # the transcoder at full load before the measurement starts
    nsx "$lan" /usr/bin/python3 "$here/xc_latency.py" recv "$P:$((34000 + 2 * load))" "$seconds" \
      >"$work/xc.recv" &
    xr=$!
    sleep 0.2
    nsx "$wan" /usr/bin/python3 "$here/xc_latency.py" send "$B:$((9000 + 2 * load))" \
      "$W:$((30000 + 2 * load))" "$seconds" >"$work/xc.send" &
    xs=$!
  fi
  nsx "$wan" "$peer" --mode send --local "$B:5000" --remote "$W:20000" --streams "$relayed" \
    --duration "$seconds" --quiet >/dev/null
  wait "$rp"
  [ -z "$lp" ] || { wait "$lp" || true; wait "$xs"; wait "$xr"; }
}
cpu0=$(metric 'rampart_xc_cpu_seconds_total')
run alone 0
run loaded 1
cpu1=$(metric 'rampart_xc_cpu_seconds_total')
echo "dataplane drops: $(nsx "$sbc" curl -sf --max-time 3 "http://127.0.0.1:$mport/metrics" |
  grep -E '^rampart_dp_drops_total.* [1-9]' | sed -E 's/.*reason="([a-z_]+)".* ([0-9]+)$/\1=\2/' |
  tr '\n' ' ')"
/usr/bin/python3 - "$work/alone.recv" "$work/loaded.recv" "$cpu0" "$cpu1" "$load" "$seconds" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
cpu = float(sys.argv[4]) - float(sys.argv[3])
for name, r in (("alone", a), ("loaded", b)):
    d = r["received"]["delay_ms"]
    print(f"relay_{name}_packets={d['samples']} relay_{name}_lost={r['received']['lost']} "
          f"relay_{name}_p50_us={d['p50'] * 1000:.1f} "
          f"relay_{name}_p99_us={d['p99'] * 1000:.1f} relay_{name}_max_us={d['max'] * 1000:.1f}")
print(f"transcoded_streams={sys.argv[5]} transcoder_cpu_s={cpu:.2f} "
      f"transcoder_cpu_share={cpu / (float(sys.argv[6]) + 1):.2f}")
ra, rb = a["received"]["delay_ms"]["p99"], b["received"]["delay_ms"]["p99"]
print(f"relay_p99_loaded_vs_alone={rb / ra if ra > 0 else 0:.2f}")
PY
/usr/bin/python3 "$here/xc_latency.py" report "$work/xc.send" "$work/xc.recv"
