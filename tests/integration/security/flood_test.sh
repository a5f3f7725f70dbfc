#!/usr/bin/env bash
# Flood protection end to end (real rampart-dataplane and rampart-controlplane, the lab PBX,
# sipp floods from 12 addresses in the wan namespace), what an operator would check:
#  1. INVITE floods from 6 sources and REGISTER floods from 6 more, each at 20x its per-source
#     limit (100/s against 5/s) for 15 s, while a legitimate caller from 198.18.1.2 places 45
#     calls to the PBX's echo at 3/s: every legitimate call completes; each flood source is
#     answered 503 within its reply budget, then silenced and banned; the refusals are counted
#     by realm, method, reason and action; a banned source's datagrams are dropped by the
#     kernel ban filter (counted); control-plane memory stays bounded;
#  2. a ban expires on time (security.ban.duration_s, measured from ban to expiry);
#  3. password guessing through Rampart against the PBX's digest auth: after
#     security.auth_failures.max rejected credentials the source is banned (its next REGISTER
#     gets no answer);
#  4. access lists and scanner signatures, refused and allowed: a denied address, an address
#     outside the realm's allow list and a "friendly-scanner" User-Agent get no answer (counted),
#     an allowed address with an ordinary User-Agent gets its answer.
# About 60 s. usage: flood_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rfl
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
sec_dir=$src/tests/integration/security
# shellcheck source=security_lib.sh
. "$sec_dir/security_lib.sh"
step() { echo "$* (t=$((SECONDS - t0))s)"; }
BAN_S=8

b2b_config 100
sec_config '{"invite_per_source": {"per_second": 5, "burst": 10},
             "register_per_source": {"per_second": 5, "burst": 10},
             "requests_per_source": {"per_second": 20, "burst": 40},
             "replies_per_source": 5,
             "ban": {"after_rejections": 100, "window_s": 10, "duration_s": '$BAN_S'},
             "auth_failures": {"max": 3, "window_s": 60},
             "deny": ["198.18.1.66"]}' \
           '{"allow": ["198.18.1.0/25"]}'
B2B_LOG_LEVEL=info b2b_start
sec_sources 100 12
sec_sources 50 1
sec_sources 66 1
sec_sources 60 2
sec_sources 200 1
step "Rampart and the PBX up; flood sources 198.18.1.100-111"

step "1. 12 flood sources at 20x their limit beside a legitimate caller"
rss0=$(cp_rss_kb)
floods=()
for i in $(seq 0 11); do
  scen=flood_invite.xml
  [ "$i" -ge 6 ] && scen=flood_register.xml
  sec_flood "flood$i" "198.18.1.$((100 + i))" "$scen" 100 15
  floods+=("flood$i")
done
sip_run "$wan" legit 40 -sf "$S/uac_call.xml" "$SBC" -s 600 -i 198.18.1.2 -p 5060 -t u1 \
  -mi 198.18.2.2 -mp 7000 -d 300 -m 45 -r 3
sec_flood_wait "${floods[@]}"
ok=$(sip_calls legit ok)
failed=$(sip_calls legit failed)
rss1=$(cp_rss_kb)
cp_metric_dump flood
echo "   legitimate calls: $ok ok, $failed failed; control plane RSS $rss0 -> $rss1 kB"
grep -E '^rampart_cp_(security_refused_total|bans_|security_tracked)' "$work/flood.cp.prom" | sed 's/^/   /'
[ "$ok" = 45 ] && [ "$failed" = 0 ] || fail "only $ok of 45 legitimate calls completed ($failed failed)"
m() { grep -E "^($1)" "$work/flood.cp.prom" | awk '{s += $NF} END {print s + 0}'; }
sent=0
for f in "${floods[@]}"; do
  n=$( { grep -E '^ *Outgoing calls created' "$work/$f.out" || true; } | tail -n 1 | awk -F'|' '{gsub(/ /, "", $3); print $3 + 0}')
  sent=$((sent + n))
done
# prometheus-cpp writes labels sorted by name: action, method, realm, reason.
inv_reply=$(m 'rampart_cp_security_refused_total\{action="reply",method="INVITE",realm="wan",reason="invite_rate"')
inv_drop=$(m 'rampart_cp_security_refused_total\{action="drop",method="INVITE",realm="wan",reason="(invite_rate|source_rate)"')
reg_refused=$(m 'rampart_cp_security_refused_total\{action="(reply|drop)",method="REGISTER",realm="wan",reason="(register_rate|source_rate)"')
banned=$(m 'rampart_cp_security_refused_total\{.*reason="banned"')
# Banned sources' datagrams mostly die in the kernel (security.kernel_ban_filter, on by default).
kernel=$(m 'rampart_cp_udp_kernel_drops_total\{realm="wan"')
bans=$(m 'rampart_cp_bans_total\{event="added",reason="rate"')
echo "   flood requests sent $sent; INVITE refused: $inv_reply answered 503, $inv_drop dropped;" \
     "REGISTER refused $reg_refused; dropped as banned $banned in the control plane," \
     "$kernel in the kernel; rate bans $bans"
[ "$sent" -ge 12000 ] || fail "the floods sent only $sent requests"
[ "$inv_reply" -ge 6 ] || fail "flood INVITEs got $inv_reply 503s (expected a few per source)"
[ "$inv_drop" -ge 100 ] || fail "only $inv_drop flood INVITEs were dropped silently"
[ "$reg_refused" -ge 100 ] || fail "only $reg_refused flood REGISTERs were refused"
[ $((banned + kernel)) -ge 5000 ] || fail "only $((banned + kernel)) requests from banned sources were dropped"
[ "$kernel" -ge 2500 ] || fail "only $kernel datagrams of banned sources were dropped by the kernel filter"
[ "$bans" -ge 12 ] || fail "$bans rate bans for 12 flood sources"
# Replies stay within the budget: 5 per source and second at most.
[ "$inv_reply" -le $((6 * 5 * 17)) ] || fail "$inv_reply 503s exceed replies_per_source"
[ $((rss1 - rss0)) -le 16384 ] || fail "control plane RSS grew $((rss1 - rss0)) kB during the flood"
[ "$(m rampart_cp_security_tracked)" -le 200 ] || fail "tracked limiter entries: $(m rampart_cp_security_tracked)"

step "2. bans expire after ${BAN_S}s"
for _ in $(seq 1 $(((BAN_S + 4) * 5))); do [ "$(cpm rampart_cp_bans_active)" = 0 ] && break; sleep 0.2; done
[ "$(cpm rampart_cp_bans_active)" = 0 ] || fail "bans still active $((BAN_S + 4))s after the floods: $(cpm rampart_cp_bans_active)"
[ "$(sec_probe 198.18.1.100 OPTIONS)" = 200 ] || fail "a flood source whose ban expired is not served"
sec_flood short 198.18.1.101 flood_invite.xml 200 2
t_ban=""
t_free=""
for _ in $(seq 1 $(((BAN_S + 8) * 10))); do
  a=$(cpm rampart_cp_bans_active)
  now=$(date +%s.%N)
  [ -z "$t_ban" ] && [ "$a" = 1 ] && t_ban=$now
  [ -n "$t_ban" ] && [ "$a" = 0 ] && { t_free=$now; break; }
  sleep 0.1
done
sec_flood_wait short
[ -n "$t_ban" ] && [ -n "$t_free" ] || fail "no ban and expiry seen for the short flood (ban=$t_ban free=$t_free)"
held=$(awk -v a="$t_ban" -v b="$t_free" 'BEGIN {printf "%.1f", b - a}')
echo "   ban held ${held}s (configured ${BAN_S}s)"
echo "$held $BAN_S" | awk '{exit !($1 >= $2 - 0.4 && $1 <= $2 + 1.8)}' ||
  fail "the ban held ${held}s, configured ${BAN_S}s"

step "3. password guessing gets the source banned"
for i in 1 2 3; do
  sip_run_fail "$wan" guess$i 10 -sf "$S/uac_register_digest.xml" "$SBC" -s alice \
    -ap "wrong$i" -i 198.18.1.50 -p 5075 -t u1 -m 1
done
[ "$(cpm 'rampart_cp_bans_total\{event="added",reason="auth"')" = 1 ] ||
  fail "no auth ban after 3 rejected passwords: $(cpm 'rampart_cp_bans_total\{event="added",reason="auth"')"
[ "$(sec_probe 198.18.1.50 REGISTER)" = none ] || fail "the guessing source is still answered"
sip_run "$wan" reg_ok 10 -sf "$S/uac_register_digest.xml" "$SBC" -s alice \
  -ap "$(sip_password alice)" -i 198.18.1.2 -p 5076 -t u1 -m 1

step "4. access lists and scanner signatures"
added0=$(cpm 'rampart_cp_bans_total\{event="added"')
d0=$(cpm 'rampart_cp_security_refused_total\{.*reason="denied"')
[ "$(sec_probe 198.18.1.66 OPTIONS)" = none ] || fail "the denied address was answered"
[ "$(cpm 'rampart_cp_security_refused_total\{.*reason="denied"')" = $((d0 + 1)) ] || fail "denied drop not counted"
[ "$(sec_probe 198.18.1.200 OPTIONS)" = none ] || fail "an address outside the realm's allow list was answered"
[ "$(cpm 'rampart_cp_security_refused_total\{.*reason="not_allowed"')" -ge 1 ] || fail "not_allowed drop not counted"
[ "$(sec_probe 198.18.1.60 OPTIONS 'friendly-scanner')" = none ] || fail "a scanner was answered"
[ "$(sec_probe 198.18.1.60 OPTIONS 'SIPVicious/0.3')" = none ] || fail "a scanner was answered"
[ "$(cpm 'rampart_cp_security_refused_total\{.*reason="scanner"')" = 2 ] || fail "scanner drops not counted"
[ "$(sec_probe 198.18.1.61 OPTIONS 'Linphone/5.2')" = 200 ] || fail "an allowed ordinary client was not answered"
[ "$(cpm 'rampart_cp_bans_total\{event="added"')" = "$added0" ] || fail "scanner or list drops banned someone"

b2b_alive
b2b_stop_rampart
step "PASS"
