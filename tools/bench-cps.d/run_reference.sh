#!/usr/bin/env bash
# Reference figures for the call-rate benchmark: Debian's Kamailio + rtpengine (userspace
# forwarding) as an equivalent media-anchoring proxy between two sipp instances, on the lab
# topology under a private prefix (no Rampart process involved):
#
#   <P>wan  sipp uac_call.xml 198.18.1.2, media 198.18.2.2 (plays g711a.pcap, 30 ms packets)
#   <P>sbc  Kamailio 198.18.1.1:5060 / 198.18.3.1:5060, rtpengine media 198.18.2.1 / 198.18.4.1
#   <P>lan  sipp uas_answer.xml 198.18.3.2:5080, media 198.18.4.2 echoed (-rtp_echo)
#
# A fixed call rate for N seconds, each call held H ms; then it prints the calls offered,
# completed and failed, the achieved calls/s, and the CPU time (user+system) Kamailio (all its
# processes) and rtpengine used during the run. Short runs only: the machine is shared.
#
# usage: tools/bench-cps.d/run_reference.sh [--rate CPS] [--seconds N] [--hold-ms H] [--no-media]
#   defaults: --rate 20 --seconds 20 --hold-ms 1000; N <= 30, CPS <= 200.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rate=20
seconds=20
hold_ms=1000
media=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --hold-ms) hold_ms=$2; shift 2 ;;
    --no-media) media=0; shift ;;
    *) echo "usage: $0 [--rate CPS] [--seconds N] [--hold-ms H] [--no-media]" >&2; exit 2 ;;
  esac
done
[ "$seconds" -ge 1 ] && [ "$seconds" -le 30 ] || { echo "run_reference: --seconds must be 1..30" >&2; exit 2; }
[ "$rate" -ge 1 ] && [ "$rate" -le 200 ] || { echo "run_reference: --rate must be 1..200" >&2; exit 2; }
for tool in kamailio rtpengine sipp; do
  command -v "$tool" >/dev/null || { echo "run_reference: $tool missing (tools/bootstrap)" >&2; exit 1; }
done

prefix="rcps$(( $$ % 10000 ))-"
sbc=${prefix}sbc
wan=${prefix}wan
lan=${prefix}lan
work=$(mktemp -d /tmp/rcps-$$-XXXX)
scen=$top/tests/integration/sip
pids=()
kam_pid=""
rtpe_pid=""

cleanup() {  # only what we started, by PID; then the lab and the files
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local left=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  "$top/tools/lab" down --prefix "$prefix" >/dev/null 2>&1 || true
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
die() { echo "run_reference: $*" >&2; tail -n 5 "$work"/*.log >&2 2>/dev/null || true; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# cpu_ns PID...: CPU time (ns) the given processes' threads have run, from schedstat (finer
# than the 10 ms ticks of /proc/PID/stat, which short runs would round to zero).
cpu_ns() {
  local p f t=0
  for p in "$@"; do
    for f in /proc/"$p"/task/*/schedstat; do
      [ -r "$f" ] && t=$((t + $(cut -d' ' -f1 "$f")))
    done
  done
  echo "$t"
}
kamailio_pids() { echo "$kam_pid" $(pgrep -P "$kam_pid" || true); }

# --- the lab, with kernel media addresses in the sbc namespace for rtpengine ------------------
"$top/tools/lab" up --prefix "$prefix" --no-mgmt >/dev/null
nsx "$sbc" ip addr add 198.18.2.1/24 dev sbc-wan-med
nsx "$sbc" ip addr add 198.18.4.1/24 dev sbc-lan-med

# Started with ip netns exec directly (not the nsx function), so $! is the process itself.
ip netns exec "$sbc" rtpengine --config-file="$here/rtpengine.conf" --config-section=rtpengine \
  --pidfile="$work/rtpengine.pid" >"$work/rtpengine.log" 2>&1 &
rtpe_pid=$!
pids+=("$rtpe_pid")
mkdir -p "$work/run"
ip netns exec "$sbc" kamailio -DD -E -m 128 -M 8 -Y "$work/run" -f "$here/kamailio.cfg" \
  >"$work/kamailio.log" 2>&1 &
kam_pid=$!
pids+=("$kam_pid")

# Readiness (bounded): rtpengine answers an ng ping, Kamailio an OPTIONS.
probe() {
  nsx "$sbc" /usr/bin/python3 - <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
s.sendto(b"c1 d7:command4:pinge", ("127.0.0.1", 22222))
try:
    if b"pong" not in s.recv(512):
        sys.exit(1)
except OSError:
    sys.exit(1)
o = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
o.bind(("198.18.1.1", 0))
o.settimeout(0.3)
p = o.getsockname()[1]
o.sendto((f"OPTIONS sip:198.18.1.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.1.1:{p};branch=z9hG4bKr1\r\n"
          f"From: <sip:p@198.18.1.1>;tag=1\r\nTo: <sip:198.18.1.1>\r\nCall-ID: r1\r\n"
          f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), ("198.18.1.1", 5060))
try:
    sys.exit(0 if o.recv(2048).startswith(b"SIP/2.0 200") else 1)
except OSError:
    sys.exit(1)
PY
}
ready=0
for _ in $(seq 1 50); do
  kill -0 "$rtpe_pid" 2>/dev/null || die "rtpengine exited"
  kill -0 "$kam_pid" 2>/dev/null || die "kamailio exited"
  if probe; then ready=1; break; fi
  sleep 0.2
done
[ "$ready" = 1 ] || die "rtpengine/kamailio not ready in 10 s"

calls=$((rate * seconds))
bound=$((seconds + hold_ms / 1000 + 20))
uas_media=(-mi 198.18.4.2 -mp 6000 -rtp_echo)
ip netns exec "$lan" sipp -sf "$scen/uas_answer.xml" -i 198.18.3.2 -p 5080 -t u1 -s callee \
  "${uas_media[@]}" -nostdin -timeout "${bound}s" -trace_err -error_file "$work/uas-errors.log" \
  -trace_msg -message_file "$work/uas-msg.log" >"$work/uas.log" 2>&1 &
pids+=($!)
sleep 0.3

uac=(-sf "$scen/uac_call.xml")
if [ "$media" = 0 ]; then
  # Same call flow without the sample: the SDP still asks for anchoring, no packets flow.
  sed 's#<action><exec play_pcap_audio="[^"]*"/></action>##' "$scen/uac_call.xml" >"$work/uac_nomedia.xml"
  uac=(-sf "$work/uac_nomedia.xml")
fi

kam_before=$(cpu_ns $(kamailio_pids))
rtpe_before=$(cpu_ns "$rtpe_pid")
start=$(date +%s.%N)
rc=0
timeout -k 2 "$bound" ip netns exec "$wan" sipp "${uac[@]}" 198.18.1.1:5060 -s echo \
  -i 198.18.1.2 -p 5060 -t u1 -mi 198.18.2.2 -mp 7000 -d "$hold_ms" -r "$rate" -m "$calls" \
  -nostdin -timeout "$((bound - 1))s" -trace_err -error_file "$work/uac-errors.log" \
  >"$work/uac.log" 2>&1 || rc=$?
end=$(date +%s.%N)
kam_after=$(cpu_ns $(kamailio_pids))
rtpe_after=$(cpu_ns "$rtpe_pid")

stat() { grep -E "^ *$1 " "$work/uac.log" | tail -n 1 | awk -F'|' '{gsub(/ |cps/, "", $3); print $3 + 0}'; }
ok=$(stat "Successful call")
failed=$(stat "Failed call")
sipp_rate=$(stat "Call Rate")
/usr/bin/python3 - "$rate" "$seconds" "$hold_ms" "$calls" "$ok" "$failed" "$start" "$end" "$sipp_rate" \
    "$((kam_after - kam_before))" "$((rtpe_after - rtpe_before))" "$media" "$rc" <<'PY'
import sys
rate, secs, hold, calls, ok, failed = map(int, sys.argv[1:7])
start, end = float(sys.argv[7]), float(sys.argv[8])
sipp_rate = float(sys.argv[9])
kam, rtpe, media, rc = (int(x) for x in sys.argv[10:14])
wall = end - start
print(f"reference Kamailio 5.6 + rtpengine (userspace, 1 thread), wan -> lan, UDP, "
      f"{'G.711 sample played and echoed' if media else 'no media'}")
print(f"  offered      {rate} calls/s for {secs} s, hold {hold} ms: {calls} calls")
print(f"  completed    {ok}   failed {failed}   sipp exit {rc}   wall {wall:.1f} s")
print(f"  achieved     {ok / secs:.1f} calls/s completed over the {secs} s offered "
      f"(sipp's own average over its whole run: {sipp_rate:.1f} cps)")
print(f"  CPU          kamailio {kam / 1e9:.3f} s   rtpengine {rtpe / 1e9:.3f} s   "
      f"({kam / 1e6 / max(ok, 1):.2f} + {rtpe / 1e6 / max(ok, 1):.2f} ms per completed call)")
PY
