# rampart-webrtc-peer calls through Rampart, on top of sip_lib.sh and wss_lib.sh (sourced
# first); used by webpeer_test.sh and tools/bench-dtls. The caller sets wpeer (the
# rampart-webrtc-peer binary) and good (a JWT for alice). Every process is started in the
# background by PID (wss_pids, ended by wss_cleanup) and every wait is bounded.
#   wp_config OUT            wss_config plus a dtls section (handshake_timeout_s 4)
#   wp_keying               dtls (default) or sdes: how the next calls' peers key SRTP
#   wp_setup                actpass (default) or passive (Rampart must be the DTLS client)
#   wp_call NAME PORT SECS [PEER ARGS]   a call to 600 (echo): the peer's offer sent by
#                            wss_client.py over WSS, rampart-webrtc-peer run at 198.18.2.2:PORT
#                            for SECS of media, then BYE; the peer's report in NAME.peer.json,
#                            the UA's in NAME.out. Returns the peer's exit status.
#   wp_call_bg NAME PORT SECS [PEER ARGS] / wp_wait NAME SECS   the same in the background
#   wp_wait_answer NAME SECS the 200's SDP in NAME.answer
#   wp_probe NAME KIND ADDR:PORT [ARGS]  a stranger (198.18.2.3) sends KIND; fails on a response
#   wp_resp NAME             responses the probe got
#   dpm REGEX                sum of the matching dataplane samples
# shellcheck shell=bash

declare -A wp_peer_pid=()
wp_keying=dtls
wp_setup=actpass

wp_config() {  # OUT
  wss_config "$1"
  "$py" - "$1" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
c["dtls"] = {"handshake_timeout_s": 4}
yaml.safe_dump(c, open(sys.argv[1], "w"), default_flow_style=None, sort_keys=False)
PY
  "$cp" --config "$1" --check-config >"$work/check.log" 2>&1 ||
    fail "control plane refuses the test config $1: $(cat "$work/check.log")"
}

dpm() {  # REGEX: sum of the matching dataplane samples
  nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9101/metrics |
    { grep -E "^($1)" || true; } | awk '{s += $NF} END {print s + 0}'
}

dpm_dump() {  # REGEX: the matching samples of both processes
  { nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9101/metrics
    nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9100/metrics; } | grep -E "^($1)" || true
}

jq_of_ua() { wss_report "$1" | jq -r "$2"; }

_wp_start() {  # NAME PORT
  local name=$1 port=$2
  rm -f "$work/$name.answer" "$work/$name.stop"
  "$wpeer" sdp --identity "$work/id_$name" --local "198.18.2.2:$port" --keying "$wp_keying" \
    --setup "$wp_setup" >"$work/$name.offer"
  wss_bg "$name" ua --url "$WSS_URL" --origin "$WSS_ORIGIN" --token "$good" --user alice \
    --call 600 --offer-file "$work/$name.offer" --answer-out "$work/$name.answer" \
    --hold-file "$work/$name.stop" --max-hold 40 --trace "$work/sip-trace.txt"
}

wp_call_bg() {  # NAME PORT SECS [PEER ARGS]
  local name=$1 port=$2 secs=$3
  shift 3
  _wp_start "$name" "$port"
  timeout -k 2 60 ip netns exec "$wan" "$wpeer" run --identity "$work/id_$name" \
    --answer "$work/$name.answer" --wait-answer 15 --local "198.18.2.2:$port" --duration "$secs" \
    --keying "$wp_keying" "$@" >"$work/$name.peer.json" 2>"$work/$name.peer.err" &
  wp_peer_pid[$name]=$!
  wss_pids+=($!)
}

wp_wait() {  # NAME SECS: the peer's exit status
  local name=$1 pid=${wp_peer_pid[$1]} rc=0
  for _ in $(seq 1 $(($2 * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "rampart-webrtc-peer $name still running after $2 s"
  wait "$pid" || rc=$?
  touch "$work/$name.stop"
  wss_wait "$name" 15
  return "$rc"
}

wp_call() {  # NAME PORT SECS [PEER ARGS]
  wp_call_bg "$@"
  wp_wait "$1" 60
}

wp_wait_answer() {  # NAME SECS
  for _ in $(seq 1 $(($2 * 10))); do [ -s "$work/$1.answer" ] && return 0; sleep 0.1; done
  fail "no answer for $1 within $2 s: $(cat "$work/$1.out" "$work/$1.err" 2>/dev/null | tail -n 5)"
}

wp_probe() {  # NAME KIND ADDR:PORT [ARGS]
  local name=$1 kind=$2 remote=$3
  shift 3
  timeout -k 2 30 ip netns exec "$wan" "$wpeer" probe --local 198.18.2.3:0 --remote "$remote" \
    --kind "$kind" --wait 1 "$@" >"$work/probe_$name.json" 2>"$work/probe_$name.err" ||
    fail "rampart-webrtc-peer probe $name: $(cat "$work/probe_$name.err")"
  [ "$(wp_resp "$name")" = 0 ] || fail "probe $name ($kind) got responses: $(cat "$work/probe_$name.json")"
}

wp_resp() { jq .responses "$work/probe_$1.json"; }
