#!/usr/bin/env bash
# Geo-blocking end to end (real binaries, the lab PBX, a test database written with Debian's
# MaxMind::DB::Writer by make_geo_db.pl: 198.18.1.0/25 is "US", 198.18.1.128/25 "FR"):
#  1. deny_countries [FR]: a source in FR gets no answer (counted as reason "geo"), one in US
#     its answer;
#  2. the database is replaced (198.18.1.128/25 now "DE"): Rampart reloads it on its own and
#     the former FR source is answered;
#  3. allow_countries [US] (control plane restarted): the DE source and a source the database
#     does not place get no answer, the US source its answer;
#  4. per realm, applied by a SIGHUP reload: no global lists, the wan realm's
#     deny_countries [DE]: the DE source gets no answer, the US source and an unplaced one theirs.
# About 30 s. usage: geo_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rfg
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
sec_dir=$src/tests/integration/security
# shellcheck source=security_lib.sh
. "$sec_dir/security_lib.sh"
step() { echo "$* (t=$((SECONDS - t0))s)"; }
command -v perl >/dev/null && perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
  fail "MaxMind::DB::Writer is missing (Debian: libmaxmind-db-writer-perl; tools/bootstrap installs it)"
db=$work/geo.mmdb
geo_refused() { cpm 'rampart_cp_security_refused_total\{.*reason="geo"'; }

perl "$sec_dir/make_geo_db.pl" "$db" 198.18.1.0/25=US 198.18.1.128/25=FR
b2b_config 100
sec_config '{"geo": {"database": "'"$db"'", "deny_countries": ["FR"]}}'
B2B_LOG_LEVEL=info b2b_start
sec_sources 60 1
sec_sources 200 1
step "Rampart and the PBX up"

step "1. deny_countries [FR]"
[ "$(cpm 'rampart_cp_geo_reloads_total\{result="ok"')" = 1 ] || fail "the geo database was not loaded"
[ "$(sec_probe 198.18.1.200 OPTIONS)" = none ] || fail "a source in a denied country was answered"
[ "$(geo_refused)" -ge 1 ] || fail "the geo refusal was not counted"
[ "$(sec_probe 198.18.1.60 OPTIONS)" = 200 ] || fail "a source in an allowed country was not answered"

step "2. the database is replaced and reloaded"
sleep 1.1  # a new modification time
perl "$sec_dir/make_geo_db.pl" "$db" 198.18.1.0/25=US 198.18.1.128/25=DE
for _ in $(seq 1 50); do [ "$(cpm 'rampart_cp_geo_reloads_total\{result="ok"')" = 2 ] && break; sleep 0.1; done
[ "$(cpm 'rampart_cp_geo_reloads_total\{result="ok"')" = 2 ] || fail "the replaced database was not reloaded"
[ "$(sec_probe 198.18.1.200 OPTIONS)" = 200 ] || fail "the source now in DE is still refused"

step "3. allow_countries [US]"
perl "$sec_dir/make_geo_db.pl" "$db" 198.18.1.0/26=US 198.18.1.128/25=DE
sec_config '{"geo": {"database": "'"$db"'", "allow_countries": ["US"]}}'
restart_cp
sec_sources 100 1
[ "$(sec_probe 198.18.1.200 OPTIONS)" = none ] || fail "a source outside the allowed countries was answered"
[ "$(sec_probe 198.18.1.100 OPTIONS)" = none ] || fail "a source the database does not place was answered"
[ "$(sec_probe 198.18.1.60 OPTIONS)" = 200 ] || fail "a source in an allowed country was not answered"

step "4. the wan realm's own deny_countries [DE], applied by a reload"
sec_config '{"geo": {"database": "'"$db"'", "allow_countries": []}}' '{"deny_countries": ["DE"]}'
reloads=$(grep -c "reloaded" "$work/cp.log" || true)
kill -HUP "$cp_pid"
for _ in $(seq 1 50); do [ "$(grep -c "reloaded" "$work/cp.log" || true)" -gt "$reloads" ] && break; sleep 0.1; done
grep "reloaded" "$work/cp.log" | tail -n 1 | grep -q "0 need a restart" ||
  fail "the realm's country list was not applied live: $(grep reload "$work/cp.log" | tail -n 2)"
[ "$(sec_probe 198.18.1.200 OPTIONS)" = none ] || fail "a source in the realm's denied country was answered"
[ "$(sec_probe 198.18.1.60 OPTIONS)" = 200 ] || fail "a source in another country was not answered"
[ "$(sec_probe 198.18.1.100 OPTIONS)" = 200 ] || fail "a source the database does not place was refused"
b2b_alive
b2b_stop_rampart
step "PASS"
