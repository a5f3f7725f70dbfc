#!/usr/bin/env bash
# Bans in the dataplane and across restarts (real binaries, the lab PBX), as an operator would
# check them:
#  1. bans written in security.ban_file are restored when the control plane starts: the banned
#     signalling source gets no answer, and every dataplane worker holds the media source's ban
#     (rampart_cp_drop_list_commands_total{result="ok"});
#  2. a banned source's media packets are dropped in the dataplane on arrival, counted as
#     rampart_dp_drops_total{reason="banned"}, and a call whose media comes from it carries no
#     media toward the PBX;
#  3. a ban added at run time (password guessing) reaches the dataplane and the ban file;
#  4. after a control-plane restart with the media ban lifted (removed from the file), the
#     same source's calls carry media again and nothing more is dropped as banned, while the
#     run-time ban survived the restart.
# About 60 s. usage: drop_list_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rfd
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
sec_dir=$src/tests/integration/security
# shellcheck source=security_lib.sh
. "$sec_dir/security_lib.sh"
step() { echo "$* (t=$((SECONDS - t0))s)"; }
bans_file=$work/bans.txt
banned_drops() { dpm 'rampart_dp_drops_total\{.*reason="banned"'; }
burst() { nsx "$wan" /usr/bin/python3 "$sec_dir/udp_burst.py" "$1" 198.18.2.1 20000 "$2"; }
call() {  # NAME MEDIA_PORT: one call to the PBX echo with media from 198.18.2.2
  sip_run "$wan" "$1" 20 -sf "$S/uac_call.xml" "$SBC" -s 600 -i 198.18.1.2 -p 5060 -t u1 \
    -mi 198.18.2.2 -mp "$2" -d 1000 -m 1
}

b2b_config 100
now=$(date +%s)
printf '# test\n198.18.2.2 %d manual\n198.18.1.77 %d manual\n' $((now + 600)) $((now + 600)) >"$bans_file"
sec_config '{"ban_file": "'"$bans_file"'", "auth_failures": {"max": 2, "window_s": 60},
             "ban": {"duration_s": 600}}'
B2B_LOG_LEVEL=info b2b_start
sec_sources 77 1
sec_sources 50 1
step "Rampart and the PBX up"

step "1. bans restored from the ban file"
[ "$(cpm rampart_cp_bans_active)" = 2 ] || fail "bans_active is $(cpm rampart_cp_bans_active), expected 2 restored"
for _ in $(seq 1 30); do [ "$(cpm 'rampart_cp_drop_list_commands_total\{result="ok"')" -ge 2 ] && break; sleep 0.1; done
echo "   drop list commands: $(nsx "$sbc" curl -sf http://127.0.0.1:9100/metrics | grep -E '^rampart_cp_drop_list' | tr '\n' ' ')"
[ "$(cpm 'rampart_cp_drop_list_commands_total\{result="ok"')" -ge 2 ] || fail "the dataplane did not acknowledge the restored bans"
[ "$(sec_probe 198.18.1.77 OPTIONS)" = none ] || fail "a source banned in the file is answered"
[ "$(sec_probe 198.18.1.2 OPTIONS)" = 200 ] || fail "an unbanned source is not answered"

step "2. the banned media source is dropped in the dataplane"
d0=$(banned_drops)
burst 198.18.2.2 200
sleep 0.5
d1=$(banned_drops)
echo "   banned drops +$((d1 - d0)) for 200 packets"
[ $((d1 - d0)) -ge 190 ] && [ $((d1 - d0)) -le 200 ] || fail "banned drops +$((d1 - d0)), expected about 200"
tx0=$(dpm 'rampart_dp_tx_packets_total\{.*realm="lan"')
call banned_call 7000
d2=$(banned_drops)
tx1=$(dpm 'rampart_dp_tx_packets_total\{.*realm="lan"')
echo "   call with banned media: banned drops +$((d2 - d1)), lan tx +$((tx1 - tx0))"
[ $((d2 - d1)) -ge 30 ] || fail "the banned caller's media was not dropped (+$((d2 - d1)))"
[ $((tx1 - tx0)) -le 5 ] || fail "$((tx1 - tx0)) packets reached the lan side from a banned source"

step "3. a run-time ban reaches the dataplane and the ban file"
ok0=$(cpm 'rampart_cp_drop_list_commands_total\{result="ok"')
for i in 1 2; do
  sip_run_fail "$wan" guess$i 10 -sf "$S/uac_register_digest.xml" "$SBC" -s alice \
    -ap "wrong$i" -i 198.18.1.50 -p 5075 -t u1 -m 1
done
[ "$(cpm rampart_cp_bans_active)" = 3 ] || fail "no ban for password guessing (bans $(cpm rampart_cp_bans_active))"
for _ in $(seq 1 30); do grep -q '^198\.18\.1\.50 .* auth$' "$bans_file" && break; sleep 0.1; done
grep -q '^198\.18\.1\.50 .* auth$' "$bans_file" || fail "the run-time ban is not in the ban file: $(cat "$bans_file")"
[ "$(cpm 'rampart_cp_drop_list_commands_total\{result="ok"')" -gt "$ok0" ] || fail "the run-time ban did not reach the dataplane"

step "4. restart with the media ban lifted: media flows again, the run-time ban survives"
restart_cp sed -i '/^198\.18\.2\.2 /d' "$bans_file"
[ "$(cpm rampart_cp_bans_active)" = 2 ] || fail "bans_active after restart is $(cpm rampart_cp_bans_active), expected 2"
[ "$(sec_probe 198.18.1.50 REGISTER)" = none ] || fail "the run-time ban did not survive the restart"
d3=$(banned_drops)
tx2=$(dpm 'rampart_dp_tx_packets_total\{.*realm="lan"')
call free_call 7010
d4=$(banned_drops)
tx3=$(dpm 'rampart_dp_tx_packets_total\{.*realm="lan"')
echo "   call after unban: banned drops +$((d4 - d3)), lan tx +$((tx3 - tx2))"
[ "$d4" = "$d3" ] || fail "media still dropped as banned after the unban (+$((d4 - d3)))"
[ $((tx3 - tx2)) -ge 30 ] || fail "only $((tx3 - tx2)) media packets crossed after the unban"
b2b_alive
b2b_stop_rampart
step "PASS"
