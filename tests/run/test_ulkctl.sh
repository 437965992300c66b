#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ulkctl against a live instance: a server under ulk-run --name, reached
# through its control socket from outside its network namespace.
#  - ulkctl list: name, pid, program, interfaces and addresses;
#  - the short forms: cat, ls, sysctl (read and write);
#  - capture: a pcap file and a pcap stream that tcpdump reads, the
#    filter applied inside the instance, one line per frame without -w,
#    64 KB segments seen whole; ulk-run --pcap from boot;
#  - unmodified tools through `ulkctl NAME --`: ip addr/route (and a
#    change, ip addr add, that the host then pings), ss -tinm with a live
#    connection's congestion state and memory, nstat, procps sysctl -w,
#    ethtool -k/-i/-S, cat of /proc/net;
#  - a tool killed in a blocking call (ip monitor) leaves no thread behind;
#  - errors: an unknown instance, an unknown command, a name in use;
#  - the socket is gone once the instance exits.
set -uo pipefail
. "$SRC_DIR/tests/run/programs_ns.sh"
programs_setup ip ss nstat sysctl ethtool python3 tcpdump curl

CTL=$BUILD_DIR/bin/ulkctl
mkdir -p "$tmp/www" && head -c 4000000 /dev/urandom >"$tmp/www/big"
NAME=ctltest-$$
ctl() { timeout 20 "$CTL" "$@"; }

# The instance: an HTTP server; a host client in the namespace holds a
# connection to it open.
bg "$tmp/srv" timeout 120 ip netns exec "$ns" "$BUILD_DIR/bin/ulk-run" \
	"${ULK_NET[@]}" --name "$NAME" --pcap "$tmp/boot.pcap" -- \
	python3 -m http.server --bind $U4 8080 --directory "$tmp/www"
wait_port $U4 8080 || { bad "the server under ulk-run did not start"; cat "$tmp/srv"; exit 1; }
bg "$tmp/hold" in_ns python3 -c "
import socket, time
s = socket.create_connection(('$U4', 8080)); s.send(b'GET / HTTP/1.1\r\n'); time.sleep(100)"
sleep 0.5

out=$(ctl list 2>&1)
grep -q "^$NAME .* python3 .*eth0 $U4/24" <<<"$out" && pass "ulkctl list: $(grep "^$NAME" <<<"$out")" \
	|| { bad "ulkctl list"; echo "$out"; }
pid=$(awk -v n="$NAME" '$1 == n { print $2 }' <<<"$out")

out=$(ctl "$NAME" cat /proc/net/snmp 2>&1)
grep -q "^Tcp: .*PassiveOpens" <<<"$out" && pass "ulkctl NAME cat /proc/net/snmp" || { bad "cat"; echo "$out"; }
out=$(ctl "$NAME" ls /proc/sys/net/ipv4 2>&1)
grep -qx tcp_congestion_control <<<"$out" && grep -qx "conf/" <<<"$out" \
	&& pass "ulkctl NAME ls /proc/sys/net/ipv4" || { bad "ls"; echo "$out" | head; }

host_cc=$(sysctl -n net.ipv4.tcp_congestion_control)
out=$(ctl "$NAME" sysctl net.ipv4.tcp_congestion_control=reno 2>&1)
[ "$out" = "net.ipv4.tcp_congestion_control = reno" ] && pass "ulkctl NAME sysctl KEY=VALUE: $out" \
	|| bad "sysctl set: '$out'"
[ "$(sysctl -n net.ipv4.tcp_congestion_control)" = "$host_cc" ] \
	&& pass "the host's own setting is untouched ($host_cc)" || bad "the host's congestion control changed"
out=$(ctl "$NAME" sysctl net.ipv4.no_such 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no_such" <<<"$out" && pass "an unknown sysctl: exit 1, '$out'" || bad "unknown sysctl: $rc '$out'"

out=$(ctl "$NAME" -- sysctl -w net.ipv4.tcp_ecn=1 2>&1)
[ "$(ctl "$NAME" sysctl net.ipv4.tcp_ecn)" = "net.ipv4.tcp_ecn = 1" ] \
	&& pass "procps sysctl -w through ulkctl takes effect ($out)" || bad "sysctl -w: '$out'"
out=$(ctl "$NAME" -- sysctl net.ipv4.tcp_congestion_control 2>&1)
[ "$out" = "net.ipv4.tcp_congestion_control = reno" ] && pass "procps sysctl reads the instance's value" \
	|| bad "sysctl read: '$out'"

out=$(ctl "$NAME" -- ip addr 2>&1)
grep -q "inet $U4/24" <<<"$out" && ! grep -q ulkp0 <<<"$out" \
	&& pass "ip addr: the instance's eth0 and address, not the host's TAP" || { bad "ip addr"; echo "$out"; }
out=$(ctl "$NAME" -- ip route 2>&1)
grep -q "10.61.0.0/24 dev eth0" <<<"$out" && pass "ip route" || { bad "ip route"; echo "$out"; }
out=$(ctl "$NAME" -- ip addr add 10.61.0.9/24 dev eth0 2>&1); rc=$?
in_ns ping -c 1 -W 2 10.61.0.9 >/dev/null 2>&1 && [ $rc = 0 ] \
	&& pass "ip addr add through ulkctl: the host pings the new address" || bad "ip addr add: $rc '$out'"

out=$(ctl "$NAME" -- ss -tinm 2>&1)
grep -q "ESTAB .*$U4:8080 *$H4:" <<<"$out" && grep -q "skmem:(r" <<<"$out" && grep -qw cubic <<<"$out" \
	&& pass "ss -tinm: the live connection, its memory and congestion control" || { bad "ss -tinm"; echo "$out"; }
out=$(ctl "$NAME" -- ss -tln 2>&1)
grep -q "LISTEN .*$U4:8080" <<<"$out" && pass "ss -tln: the listener" || { bad "ss -tln"; echo "$out"; }
out=$(ctl "$NAME" -- nstat -az TcpPassiveOpens 2>&1)
grep -Eq "^TcpPassiveOpens +[1-9]" <<<"$out" && pass "nstat: $(grep TcpPassiveOpens <<<"$out" | tr -s ' ')" \
	|| { bad "nstat"; echo "$out"; }
out=$(ctl "$NAME" -- cat /proc/net/dev 2>&1)
grep -q "eth0:" <<<"$out" && ! grep -q ulkp0 <<<"$out" && pass "cat /proc/net/dev is the instance's" \
	|| { bad "cat /proc/net/dev"; echo "$out"; }

out=$(ctl "$NAME" -- ethtool -k eth0 2>&1)
grep -q "^tcp-segmentation-offload: on" <<<"$out" && pass "ethtool -k eth0: TSO on" || { bad "ethtool -k"; echo "$out" | head; }
out=$(ctl "$NAME" -- ethtool -i eth0 2>&1)
grep -q "^driver: virtio_net" <<<"$out" && pass "ethtool -i eth0: virtio_net" || { bad "ethtool -i"; echo "$out"; }
out=$(ctl "$NAME" -- ethtool -S eth0 2>&1)
grep -Eq "^ *tx_kicks: [1-9]" <<<"$out" && pass "ethtool -S eth0: $(grep -c : <<<"$out") counters, $(grep tx_kicks <<<"$out" | head -1 | tr -s ' ')" \
	|| { bad "ethtool -S"; echo "$out"; }

# Capture while the host fetches from the server.
bg "$tmp/fetch" in_ns bash -c "while :; do curl -s -o /dev/null http://$U4:8080/big; sleep 0.2; done"
ctl "$NAME" capture -i eth0 -c 40 -w "$tmp/c.pcap" tcp port 8080 2>"$tmp/cap.err"
out=$(tcpdump -nr "$tmp/c.pcap" 2>&1)
n=$(grep -c "IP $H4.[0-9]* > $U4.8080\|IP $U4.8080 > $H4" <<<"$out")
[ "$n" = 40 ] && grep -q "40 packets captured" "$tmp/cap.err" \
	&& pass "capture -i eth0 -c 40 -w FILE 'tcp port 8080': tcpdump -r reads 40 frames of the connections" \
	|| { bad "capture to a file: $n frames"; head -5 <<<"$out"; cat "$tmp/cap.err"; }
big=$(tcpdump -nr "$tmp/c.pcap" 'greater 32768' 2>/dev/null | wc -l)
[ "$big" -gt 0 ] && pass "segments above 32 KiB cross whole ($big of 40)" || bad "no frame above 32 KiB"
out=$(ctl "$NAME" capture -c 5 -w - tcp 2>/dev/null | tcpdump -nr - 2>&1)
[ "$(grep -c ' IP ' <<<"$out")" = 5 ] && pass "capture -w - | tcpdump -r -: 5 frames" || { bad "capture to a pipe"; echo "$out"; }
out=$(ctl "$NAME" capture -c 3 tcp 2>&1)
[ "$(grep -c 'IP .*tcp, length' <<<"$out")" = 3 ] && pass "capture without -w: $(head -1 <<<"$out")" \
	|| { bad "capture summary"; echo "$out"; }
out=$(timeout -s INT 2 "$CTL" "$NAME" capture -w "$tmp/none.pcap" udp port 9 2>&1); rc=$?
[ "$(tcpdump -nr "$tmp/none.pcap" 2>/dev/null | wc -l)" = 0 ] && grep -q "0 packets captured" <<<"$out" \
	&& pass "a filter nothing matches: ^C after 2 s, '$out', an empty capture" || bad "filter 'udp port 9': $rc '$out'"
out=$(ctl "$NAME" capture 'tcp port' 2>&1); rc=$?
[ $rc = 2 ] && grep -q "filter" <<<"$out" && pass "a bad filter: exit 2, '$out'" || bad "bad filter: $rc '$out'"
stop_bg_one() { kill "$1" 2>/dev/null; pkill -P "$1" 2>/dev/null; }
stop_bg_one "${bg_pids[-1]}"

before=$(ls /proc/$pid/task | wc -l)
timeout -s KILL 1 "$CTL" "$NAME" -- ip monitor >/dev/null 2>&1
for i in $(seq 50); do
	[ "$(ls /proc/$pid/task | wc -l)" -le "$before" ] && break
	sleep 0.1
done
after=$(ls /proc/$pid/task | wc -l)
[ "$after" -le "$before" ] && pass "ip monitor killed in its wait: the instance has $after threads again ($before before)" \
	|| bad "threads after a killed ip monitor: $after, before $before"

out=$("$CTL" nosuch-$$ cat /proc/net/dev 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no such instance" <<<"$out" && pass "an unknown instance: '$out'" || bad "unknown instance: $rc '$out'"
out=$("$CTL" "$NAME" frobnicate x 2>&1); rc=$?
[ $rc = 2 ] && pass "an unknown command: exit 2, '$out'" || bad "unknown command: $rc '$out'"
out=$(ip netns exec "$ns" "$BUILD_DIR/bin/ulk-run" --name "$NAME" -- true 2>&1); rc=$?
[ $rc = 2 ] && grep -q "already has it" <<<"$out" && pass "a second ulk-run --name $NAME: '$out'" \
	|| bad "name in use: $rc '$out'"

sock=$(ls /run/ulk/"$NAME".sock 2>/dev/null || ls "${XDG_RUNTIME_DIR:-/nonexistent}/ulk/$NAME.sock" 2>/dev/null)
stop_bg
[ -n "$sock" ] && [ ! -e "$sock" ] && pass "the socket is removed when the instance exits" \
	|| bad "socket '$sock' after exit"
out=$(ctl list 2>&1)
grep -q "^$NAME " <<<"$out" && bad "ulkctl list still shows $NAME" || pass "ulkctl list no longer shows it"
out=$(tcpdump -nr "$tmp/boot.pcap" 2>&1)
grep -q "Flags \[S\]" <<<"$out" && grep -q "ICMP6\|ARP" <<<"$out" \
	&& pass "ulk-run --pcap: from boot ($(grep -c . <<<"$out") frames, the first: $(sed -n 2p <<<"$out" | cut -c1-60))" \
	|| { bad "ulk-run --pcap"; head -5 <<<"$out"; }
exit $fail
