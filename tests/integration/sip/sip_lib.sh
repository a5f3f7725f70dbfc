# Helpers for SIP tests in a lab of their own (tools/lab shape under a test prefix, namespaces
# ${prefix}sbc/wan/lan), with the lab PBX (tools/pbx) and the sipp scenarios beside this file.
# Same conventions as tests/integration/dataplane/lab_lib.sh: everything a test starts is
# recorded by PID and ended by PID in one EXIT trap, every wait is bounded.
#
# The caller sets, before sourcing:
#   src     the source tree (tools/lab, tools/pbx)
#   prefix  namespace prefix, e.g. "rts$(( $$ % 100000 ))-" (the management veth name
#           ${prefix}mgmt must fit 15 characters)
#   work    a scratch directory (removed at exit)
# and then calls the functions below. sipp output for a run NAME lands in $work/NAME.{out,msg,err}.
#
# Functions:
#   sip_lab_up                 the prefixed lab (no management veth; SIP_LAB_MGMT=ns: a
#                              management namespace ${prefix}mgt at 198.18.255.1, tools/lab)
#   sip_sbc_standin            kernel addresses in ${prefix}sbc for tests without Rampart:
#                              198.18.4.1 on sbc-lan-med (media), 198.18.3.10 on sbc-lan-sig (an
#                              untrusted caller beside the trusted SBC address 198.18.3.1)
#   sip_pbx_up / sip_pbx_down  the lab PBX in ${prefix}lan, state in $work/pbx
#   sip_password USER          the demo user's password
#   sip_registered USER        the PBX's contacts for USER, one per line
#   sip_run NS NAME SECS ARGS  sipp in NS, bounded (timeout + -timeout), must exit 0
#   sip_run_fail NS NAME SECS ARGS   the same, but must fail (exit 1: a call failed)
#   sip_bg NS NAME SECS ARGS   sipp in the background (a UAS); sip_wait NAME checks it
#   sip_wait NAME [SECS]       waits (bounded) for a sip_bg run, which must exit 0
#   sip_calls NAME ok|failed   the run's cumulative successful / failed call count
#   sip_capture_start NS IFACE NAME SECS [FILTER]   tcpdump to $work/NAME.pcap for at most SECS
#   sip_capture_stop NAME      ends that capture (bounded) so the file is complete
#   sip_count NAME FILTER      packets in $work/NAME.pcap matching a pcap FILTER
#   sip_tos NAME FILTER        the distinct IPv4 TOS bytes (hex) of matching packets (DSCP checks)
#   sip_grep_wire NAME REGEX   counts the packets whose payload text matches REGEX (tcpdump -A)
#   fail MESSAGE               prints MESSAGE (and the PBX log tail), exits 1
# shellcheck shell=bash

sbc=${prefix}sbc
wan=${prefix}wan
lan=${prefix}lan
sip_dir=$src/tests/integration/sip
pbx_dir=$work/pbx
sip_pids=()        # sipp and tcpdump processes started here
declare -A sip_pid_of=()

sip_cleanup() {  # only what this test started, by PID; then the PBX, the lab, the files
  local p
  # The recorded PIDs are timeout(1)s: SIGTERM reaches their sipp/tcpdump child through them.
  for p in "${sip_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local left=0
    for p in "${sip_pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for p in "${sip_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  "$src/tools/pbx" down --prefix "$prefix" --dir "$pbx_dir" >/dev/null 2>&1 || true
  "$src/tools/lab" down --prefix "$prefix" >/dev/null 2>&1 || true
  if [ "${SIP_KEEP_WORK:-0}" = 1 ]; then echo "work files kept in $work" >&2; else rm -rf "$work"; fi
}
trap sip_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  tail -n 15 "$pbx_dir/kamailio.log" >&2 2>/dev/null || true
  exit 1
}
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

sip_lab_up() {  # SIP_LAB_MGMT=ns: the management side is a namespace ${prefix}mgt (tools/lab)
  if [ "${SIP_LAB_MGMT:-}" = ns ]; then
    "$src/tools/lab" up --prefix "$prefix" --mgmt-ns >/dev/null
  else
    "$src/tools/lab" up --prefix "$prefix" --no-mgmt >/dev/null
  fi
}

sip_sbc_standin() {
  nsx "$sbc" ip addr add 198.18.4.1/24 dev sbc-lan-med
  nsx "$sbc" ip addr add 198.18.3.10/24 dev sbc-lan-sig
}

sip_pbx_up() { "$src/tools/pbx" up --prefix "$prefix" --dir "$pbx_dir" >/dev/null; }
sip_pbx_down() { "$src/tools/pbx" down --prefix "$prefix" --dir "$pbx_dir" >/dev/null; }

sip_password() { awk -v u="$1" '$1 == u {print $2}' "$pbx_dir/users.txt"; }

sip_registered() {
  nsx "$lan" kamcmd -s "unix:$pbx_dir/run/ctl.sock" ul.lookup location "$1" 2>/dev/null |
    sed -n 's/^[[:space:]]*Address: \(.*\)$/\1/p'
}

# sipp arguments every run gets: no keyboard, its own message and error logs, a global timeout
# (one second short of ours, so sipp reports its own statistics first).
_sip_args() {  # NAME SECS
  echo -nostdin -trace_msg -message_file "$work/$1.msg" -trace_err -error_file "$work/$1.err" \
    -timeout "$(( $2 > 2 ? $2 - 1 : 1 ))s" -timeout_error
}

_sip_report() {  # NAME RC: the sipp run's outcome, with the evidence when it failed
  echo "sipp $1: exit $2, calls ok=$(sip_calls "$1" ok) failed=$(sip_calls "$1" failed)"
}
_sip_evidence() {
  tail -n 30 "$work/$1.err" >&2 2>/dev/null || true
  grep -E '^(INVITE|ACK|BYE|CANCEL|REGISTER|SIP/2.0)' "$work/$1.msg" 2>/dev/null | tail -n 20 >&2 || true
}

sip_run() {  # NS NAME SECS sipp-args...
  local ns=$1 name=$2 secs=$3 rc=0
  shift 3
  # shellcheck disable=SC2046
  timeout -k 2 "$secs" ip netns exec "$ns" sipp "$@" $(_sip_args "$name" "$secs") \
    >"$work/$name.out" 2>&1 || rc=$?
  _sip_report "$name" "$rc"
  if [ "$rc" != 0 ]; then _sip_evidence "$name"; fail "sipp $name exited $rc"; fi
}

sip_run_fail() {  # NS NAME SECS sipp-args...: the scenario must not succeed (sipp exit 1)
  local ns=$1 name=$2 secs=$3 rc=0
  shift 3
  # shellcheck disable=SC2046
  timeout -k 2 "$secs" ip netns exec "$ns" sipp "$@" $(_sip_args "$name" "$secs") \
    >"$work/$name.out" 2>&1 || rc=$?
  _sip_report "$name" "$rc"
  [ "$rc" = 1 ] || fail "sipp $name: expected a failed call (exit 1), got exit $rc"
}

sip_bg() {  # NS NAME SECS sipp-args...
  local ns=$1 name=$2 secs=$3
  shift 3
  # shellcheck disable=SC2046
  timeout -k 2 "$secs" ip netns exec "$ns" sipp "$@" $(_sip_args "$name" "$secs") \
    >"$work/$name.out" 2>&1 &
  sip_pid_of[$name]=$!
  sip_pids+=($!)
  sleep 0.3  # let it bind before the caller starts (sipp binds within a few ms)
}

sip_wait() {  # NAME [SECS]
  local name=$1 secs=${2:-30} pid=${sip_pid_of[$1]} rc=0
  for _ in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && fail "sipp $name still running after ${secs}s"  # cleanup ends it
  wait "$pid" || rc=$?
  _sip_report "$name" "$rc"
  if [ "$rc" != 0 ]; then _sip_evidence "$name"; fail "sipp $name exited $rc"; fi
}

sip_calls() {  # NAME ok|failed: the cumulative column of sipp's last statistics screen
  local row=Successful
  [ "$2" = failed ] && row=Failed
  grep -E "^ *$row call " "$work/$1.out" 2>/dev/null | tail -n 1 | awk -F'|' '{gsub(/ /, "", $3); print $3 + 0}'
}

sip_capture_start() {  # NS IFACE NAME SECS [FILTER]
  local ns=$1 ifc=$2 name=$3 secs=$4 filter=${5:-}
  # --immediate-mode -U: packets reach the file as they come (libpcap would otherwise hold them
  # in its ring for up to a second, and lose them when tcpdump is stopped).
  # shellcheck disable=SC2086
  timeout -k 1 "$secs" ip netns exec "$ns" tcpdump -i "$ifc" -n --immediate-mode -U -s 0 -w "$work/$name.pcap" \
    $filter >"$work/$name.tcpdump.log" 2>&1 &
  sip_pid_of[$name]=$!
  sip_pids+=($!)
  for _ in $(seq 1 30); do  # tcpdump says "listening on" once the capture is armed
    grep -q "listening on" "$work/$name.tcpdump.log" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "tcpdump on $ns/$ifc did not start"
}

sip_capture_stop() {  # NAME
  local pid=${sip_pid_of[$1]}
  # A moment for the last packets in flight (the BYE's 200, the last echo) to be written.
  sleep 0.3
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid" 2>/dev/null || true
}

sip_count() {  # NAME FILTER
  tcpdump -n -r "$work/$1.pcap" "$2" 2>/dev/null | wc -l
}

sip_tos() {  # NAME FILTER
  tcpdump -n -v -r "$work/$1.pcap" "$2" 2>/dev/null | sed -n 's/.*tos \(0x[0-9a-f]*\).*/\1/p' | sort -u
}

sip_grep_wire() {  # NAME REGEX
  tcpdump -n -A -r "$work/$1.pcap" 2>/dev/null | grep -cE "$2" || true
}
