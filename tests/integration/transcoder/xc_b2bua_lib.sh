# Shared steps of the transcoding tests through the B2BUA (sourced after b2bua_preamble.sh;
# uses its $config, $cp, $work, $sbc, $shm, sip_pids, cpm and fail, and the caller's $xc).

# xc_b2bua_up LAN_SDP_JSON [WAN_SDP_JSON]: the lan realm's `sdp` block set to LAN_SDP_JSON (and
# WAN_SDP_JSON's keys added to the wan realm's), CDRs written to
# $work/cdr/cdr.jsonl, Rampart and the transcoder started, and the UAS's first health check timed out. Health checks run only at
# start, and the UAS starts after that first OPTIONS: the sipp UAS (-m 1) would take an
# OPTIONS for its one call. A target marked down is still tried when it is the route's only one.
xc_b2bua_up() {
  B2B_SIP='{"options_interval_s": 3600}' b2b_config 100
  /usr/bin/python3 - "$config" "$1" "$work" "${2:-null}" <<'PY'
import json, sys, yaml
path = sys.argv[1]
c = yaml.safe_load(open(path))
c["management"]["cdr"] = {"directory": f"{sys.argv[3]}/cdr", "fsync_interval_ms": 100}
for r in c["realms"]:
    if r["name"] == "lan":
        r["sdp"] = json.loads(sys.argv[2])
    if r["name"] == "wan":
        r["sdp"] = dict(r.get("sdp") or {}, **(json.loads(sys.argv[4]) or {}))
yaml.safe_dump(c, open(path, "w"), default_flow_style=None, sort_keys=False)
PY
  "$cp" --config "$config" --check-config >"$work/check.log" 2>&1 ||
    fail "config: $(cat "$work/check.log")"
  b2b_start
  xc_start xc
  echo "Rampart, the transcoder and the PBX up"
  for _ in $(seq 1 100); do
    [ "$(cpm 'rampart_cp_target_up\{target="sip:198.18.3.2:5080"')" = 0 ] && break
    sleep 0.1
  done
}

# xc_start LOG: rampart-transcoder started (PID in $xc_pid), attached; its log in $work/LOG.log.
xc_start() {
  # Not through nsx: `ip netns exec` execs the program, so $! is the transcoder's own PID.
  ip netns exec "$sbc" "$xc" --shm "$shm" >"$work/$1.log" 2>&1 &
  xc_pid=$!
  sip_pids+=($!)
  for _ in $(seq 1 50); do grep -q attached "$work/$1.log" && break; sleep 0.1; done
  grep -q attached "$work/$1.log" || fail "transcoder did not attach: $(cat "$work/$1.log")"
}

# xc_wait_transcoded: waits (10 s at most) for the call to be counted as transcoded.
xc_wait_transcoded() {
  for _ in $(seq 1 50); do
    [ "$(cpm 'rampart_cp_transcoded_calls\{realm="lan"')" = 1 ] && break
    sleep 0.2
  done
  [ "$(cpm 'rampart_cp_transcoded_calls\{realm="lan"')" = 1 ] ||
    fail "no transcoded call: $(grep -E 'xcode|transcod' "$work/cp.log" | tail -n 5)"
}

# xc_media_ports LAN_PTS WAN_PTS: the media ports of the current call, from the sipp message
# logs: $lport, offered to the PBX (m=audio ... RTP/AVP LAN_PTS in the INVITE to the UAS), and
# $wport, answered to the caller (WAN_PTS in the 200 to the UAC); fails when either is missing.
xc_media_ports() {
  local offer answer
  offer=$(awk '/^INVITE /,/a=sendrecv/' "$work/uas.msg")
  answer=$(awk '/^SIP\/2.0 200/,/a=sendrecv/' "$work/uac.msg" | tail -n 30)
  lport=$(grep -oE "m=audio [0-9]+ RTP/AVP $1" <<<"$offer" | head -n1 | awk '{print $2}')
  wport=$(grep -oE "m=audio [0-9]+ RTP/AVP $2" <<<"$answer" | head -n1 | awk '{print $2}')
  [ -n "$lport" ] && [ -n "$wport" ] || fail "media ports not found ($lport, $wport)"
}
