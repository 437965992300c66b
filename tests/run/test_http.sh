#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# HTTP with unmodified programs: nginx under ulk-run (one process, no
# fork) serves a 50 MB file to the host's curl, checksum compared, then 200
# concurrent requests; curl under ulk-run fetches from a host server over
# IPv4 and IPv6.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup nginx curl python3

www=$tmp/www
mkdir -p "$www" "$tmp/nginx"
head -c 50M /dev/urandom >"$www/big.bin"
head -c 4096 /dev/urandom >"$www/small.bin"
want=$(md5sum <"$www/big.bin" | cut -d' ' -f1)

cat >"$tmp/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log $tmp/nginx/error.log;
pid $tmp/nginx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server { listen 8080; listen [::]:8080; root $www; }
}
CONF

bg "$tmp/nginx.out" ulk nginx -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log"
wait_port $U4 8080 || bad "nginx under ulk-run did not start"
got=$(in_ns timeout 60 curl -sS --fail http://$U4:8080/big.bin | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "50 MB from nginx under ulk-run, checksum matches" \
	|| bad "50 MB from nginx: checksum $got, want $want"
got=$(in_ns timeout 60 curl -sS --fail "http://[$U6]:8080/big.bin" | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "the same over IPv6" || bad "IPv6: checksum $got, want $want"

for i in $(seq 200); do
	echo "url = \"http://$U4:8080/small.bin?$i\""
	echo "output = /dev/null"
done >"$tmp/urls"
codes=$(in_ns timeout 60 curl -sS --no-progress-meter --parallel --parallel-immediate --parallel-max 200 \
	-K "$tmp/urls" -w '%{http_code}\n' | sort | uniq -c | tr -s ' ')
[ "$codes" = " 200 200" ] && pass "200 concurrent requests all answered 200" \
	|| { bad "200 concurrent requests: $codes"; tail "$tmp/nginx/error.log"; }
stop_bg

bg "$tmp/http.out" in_ns python3 -m http.server 8081 --bind :: --directory "$www"
wait_port $H4 8081 || bad "host HTTP server did not start"
got=$(ulk curl -sS --fail http://$H4:8081/big.bin | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "curl under ulk-run, IPv4, checksum matches" || bad "curl IPv4: $got"
got=$(ulk curl -sS --fail "http://[$H6]:8081/big.bin" | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "curl under ulk-run, IPv6, checksum matches" || bad "curl IPv6: $got"
exit $fail
