# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the bench/bench_*.sh scripts; source it, then call
# bench_init. One copy of each mechanism:
#
# - processes: every program runs under timeout(1) in the background (its
#   own process group, so a stop reaches whatever it exec'd or forked) and
#   is waited for with `wait`, which a signal interrupts; bench_cleanup,
#   run on every exit path, stops them all and removes the namespaces.
# - namespaces: bench_netns, bench_veth, bench_tap.
# - placement: every figure is measured under each placement of
#   $BENCH_PLACEMENTS: "same" (both ends pinned to one vCPU), "split" (the
#   two ends on different vCPUs), "unpinned". bench_pin END sets $PIN to the
#   taskset prefix for end 1 (the stack under test: the ulk process, or the
#   host program standing in for it) or end 2 (its peer). A ulk process is
#   pinned whole: its threads inherit the mask.
# - interleaving: bench_figure runs $BENCH_WARMUP warm-up rounds (thrown
#   away), then $BENCH_RUNS rounds of ulk then base, per placement; a run
#   function records key=value results with bench_result.
# - statistics: bench_report prints, per placement, the median with its
#   min..max and the ratio of the medians (ulk/base), in the form
#   "NAME: ulk=V UNIT (MIN..MAX) base=V UNIT (MIN..MAX) ratio=R placement=P".
# - CPU: bench_cpu_begin/bench_cpu_end measure the machine-wide busy time
#   from /proc/stat (user+nice+system+irq+softirq over all CPUs), which
#   counts every thread of both sides, softirqs included, for ulk and the
#   host alike; bench_figure --idle first measures the machine's idle-time
#   busy rate, which bench_cpu_net subtracts.
#
# Knobs (environment): BENCH_RUNS (3), BENCH_WARMUP (1), BENCH_PLACEMENTS
# ("same split unpinned"), BENCH_SECONDS (1: length of each timed run),
# BENCH_IDLE_SECONDS (0.5), BENCH_CPUS ("A B": the two vCPUs used; default
# the first two this process may run on).

BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_WARMUP=${BENCH_WARMUP:-1}
BENCH_PLACEMENTS=${BENCH_PLACEMENTS:-same split unpinned}
BENCH_SECONDS=${BENCH_SECONDS:-1}
BENCH_IDLE_SECONDS=${BENCH_IDLE_SECONDS:-0.5}

# bench_init NAME [--no-root]: name the script (messages), make the
# scratch directory $BENCH_TMP and install the traps. Exits 0 with a
# "skipped" line when not root or without /dev/net/tun, unless --no-root.
bench_init() {
	BENCH_NAME=$1
	if [ "${2:-}" != --no-root ] && { [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; }; then
		echo "$BENCH_NAME: skipped: needs root and /dev/net/tun (TAP and namespaces)"
		exit 0
	fi
	case $BENCH_RUNS in '' | *[!0-9]* | 0) bench_die "BENCH_RUNS must be a positive number" ;; esac
	case $BENCH_WARMUP in '' | *[!0-9]*) bench_die "BENCH_WARMUP must be a number" ;; esac
	BENCH_T0=$SECONDS
	BENCH_TMP=$(mktemp -d /tmp/ulk-bench.XXXXXX)
	BENCH_PIDS=()
	BENCH_NETNS=()
	BENCH_FAILED=0
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	bench_cpus
}

# bench_log MESSAGE...: progress on stderr, with the time since the start.
bench_log() {
	local t=$((SECONDS - BENCH_T0))

	printf '%s [%d:%02d] %s\n' "$BENCH_NAME" $((t / 60)) $((t % 60)) "$*" >&2
}

bench_die() {
	echo "${BENCH_NAME:-bench}: $*" >&2
	exit 1
}

# bench_need PROGRAM...: a "skipped" line and exit 0 if one is missing.
bench_need() {
	local p

	for p in "$@"; do
		command -v "$p" >/dev/null && continue
		echo "$BENCH_NAME: skipped: $p is not installed (scripts/deps.sh)"
		exit 0
	done
}

bench_cleanup() {
	local p

	for p in "${BENCH_PIDS[@]}"; do bench_stop "$p"; done
	for p in "${BENCH_NETNS[@]}"; do ip netns del "$p" 2>/dev/null || true; done
	[ -z "${BENCH_TMP:-}" ] || rm -rf "$BENCH_TMP"
}

# --- processes -----------------------------------------------------------

# bench_bg NAME SECONDS CMD...: start CMD in the background for at most
# SECONDS; its pid in $BENCH_LAST, stdout in $BENCH_TMP/NAME.out, stderr in
# $BENCH_TMP/NAME.err.
bench_bg() {
	local name=$1 secs=$2

	shift 2
	timeout -k 2 "$secs" "$@" </dev/null >"$BENCH_TMP/$name.out" 2>"$BENCH_TMP/$name.err" &
	BENCH_LAST=$!
	BENCH_PIDS+=("$BENCH_LAST")
}

# bench_forget PID: PID is gone; stop tracking it.
bench_forget() {
	local i

	for i in "${!BENCH_PIDS[@]}"; do
		[ "${BENCH_PIDS[$i]}" != "$1" ] || unset "BENCH_PIDS[$i]"
	done
}

# bench_wait PID: wait for a process started by bench_bg; its status in
# $BENCH_RC (124 or 137: it ran out of time).
bench_wait() {
	BENCH_RC=0
	wait "$1" || BENCH_RC=$?
	bench_forget "$1"
}

# bench_run NAME SECONDS CMD...: CMD in the foreground (output as bench_bg),
# at most SECONDS; 0 if it exited 0, else 1 with the reason in $BENCH_WHY.
bench_run() {
	bench_bg "$@"
	bench_wait "$BENCH_LAST"
	[ "$BENCH_RC" -eq 0 ] && return 0
	BENCH_WHY="$1 exited with status $BENCH_RC$([ "$BENCH_RC" -lt 124 ] ||
		echo " (out of time after $2 s)"): $(tail -c 300 "$BENCH_TMP/$1.err" | tr '\n' ' ')"
	return 1
}

# bench_stop PID: stop a process started by bench_bg and all it started
# (TERM, then KILL after 3 s).
bench_stop() {
	local i

	kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null || true
	for i in $(seq 30); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	bench_forget "$1"
}

# bench_wait_output PID FILE PATTERN: until FILE has PATTERN (10 s at most);
# 1 with $BENCH_WHY if PID exits first or time runs out.
bench_wait_output() {
	local i

	for i in $(seq 200); do
		grep -q "$3" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	BENCH_WHY="no '$3' from $(basename "$2" .out): $(tail -c 300 "${2%.out}.err" | tr '\n' ' ')"
	return 1
}

# bench_wait_connect PID NS ADDR PORT: until a TCP connection from NS to
# ADDR:PORT succeeds (10 s at most); works for servers under ulk-run, whose
# sockets the host's ss cannot see.
bench_wait_connect() {
	local i

	for i in $(seq 100); do
		ip netns exec "$2" timeout 1 bash -c "exec 3<>/dev/tcp/$3/$4" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	BENCH_WHY="nothing accepts connections on $3 port $4"
	return 1
}

# bench_pair READY SECONDS SERVER... ::client:: CLIENT...: one client/server
# run (the separator leaves "--" to the commands).
# Start SERVER, wait until it is READY ("out:PATTERN": its stdout shows
# PATTERN; "tcp:NS:ADDR:PORT": a connection from NS succeeds), run CLIENT
# for at most SECONDS inside a CPU window (bench_cpu_begin/end), then stop
# SERVER, which must have lasted. Output in $BENCH_TMP/{srv,cli}.{out,err};
# 1 with $BENCH_WHY on failure.
bench_pair() {
	local ready=$1 secs=$2 srv=() spid ns rest
	shift 2
	while [ "$1" != ::client:: ]; do srv+=("$1"); shift; done
	shift
	bench_bg srv $((secs + 60)) "${srv[@]}"
	spid=$BENCH_LAST
	case $ready in
	out:*) bench_wait_output $spid "$BENCH_TMP/srv.out" "${ready#out:}" ;;
	tcp:*)
		rest=${ready#tcp:} ns=${rest%%:*} rest=${rest#*:}
		bench_wait_connect $spid "$ns" "${rest%:*}" "${rest##*:}"
		;;
	esac || { BENCH_WHY="server not ready: $BENCH_WHY"; bench_stop $spid; return 1; }
	bench_cpu_begin
	bench_run cli "$secs" "$@" || { bench_stop $spid; return 1; }
	bench_cpu_end
	if ! kill -0 $spid 2>/dev/null; then
		bench_wait $spid
		BENCH_WHY="server exited ($BENCH_RC) during the run: $(tail -c 300 "$BENCH_TMP/srv.err" | tr '\n' ' ')"
		return 1
	fi
	bench_stop $spid
}

# --- namespaces ----------------------------------------------------------

# bench_netns NAME...: fresh namespaces with lo up, removed at exit. The
# client-side settings let crr-style runs reuse ports in TIME_WAIT.
bench_netns() {
	local n

	for n in "$@"; do
		ip netns add "$n"
		BENCH_NETNS+=("$n")
		ip -n "$n" link set lo up
		ip netns exec "$n" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
			net.ipv4.ip_local_port_range="1024 65000"
	done
}

# bench_veth NS_A ADDR_A NS_B ADDR_B: a veth pair between two namespaces,
# addresses given as CIDR.
bench_veth() {
	local a=vb$$a b=vb$$b

	ip link add "$a" netns "$1" type veth peer name "$b" netns "$3"
	ip -n "$1" addr add "$2" dev "$a"
	ip -n "$3" addr add "$4" dev "$b"
	ip -n "$1" link set "$a" up
	ip -n "$3" link set "$b" up
}

# bench_tap NS IFNAME CIDR: a TAP in NS with the host side's address.
bench_tap() {
	ip -n "$1" tuntap add dev "$2" mode tap
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" link set "$2" up
}

# bench_tap_fresh NS IFNAME: forget the previous ulk's MAC (each boot picks
# a random one) before a new ulk takes the TAP.
bench_tap_fresh() {
	ip -n "$1" neigh flush dev "$2" 2>/dev/null || true
}

# --- placement -----------------------------------------------------------

# bench_cpus: $BENCH_CPU_A and $BENCH_CPU_B, two vCPUs this process may use
# ($BENCH_CPUS overrides); B is empty on a one-vCPU machine.
bench_cpus() {
	local list cpus=() part lo hi

	if [ -n "${BENCH_CPUS:-}" ]; then
		read -r BENCH_CPU_A BENCH_CPU_B <<<"$BENCH_CPUS"
		return
	fi
	list=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
	for part in ${list//,/ }; do
		lo=${part%-*} hi=${part#*-}
		while [ "$lo" -le "$hi" ] && [ ${#cpus[@]} -lt 2 ]; do cpus+=("$lo"); lo=$((lo + 1)); done
	done
	BENCH_CPU_A=${cpus[0]:-0} BENCH_CPU_B=${cpus[1]:-}
}

# bench_pin END: $PIN, the command prefix that places end 1 or 2 under the
# current placement $BENCH_PLACEMENT.
bench_pin() {
	case $BENCH_PLACEMENT in
	same) PIN=(taskset -c "$BENCH_CPU_A") ;;
	split) [ "$1" = 1 ] && PIN=(taskset -c "$BENCH_CPU_B") || PIN=(taskset -c "$BENCH_CPU_A") ;;
	*) PIN=() ;;
	esac
}

# --- CPU accounting ------------------------------------------------------

BENCH_HZ=$(getconf CLK_TCK)

# Busy time of the whole machine so far, in seconds.
bench_busy() {
	awk -v hz="$BENCH_HZ" '$1 == "cpu" { printf "%.3f\n", ($2 + $3 + $4 + $7 + $8) / hz; exit }' /proc/stat
}

bench_now() { date +%s.%N; }

bench_cpu_begin() {
	BENCH_BUSY0=$(bench_busy)
	BENCH_WALL0=$(bench_now)
}

# bench_cpu_end: $BENCH_BUSY (CPU-seconds, all CPUs) and $BENCH_WALL
# (seconds) since bench_cpu_begin.
bench_cpu_end() {
	local b w

	b=$(bench_busy) w=$(bench_now)
	BENCH_BUSY=$(awk -v a="$BENCH_BUSY0" -v b="$b" 'BEGIN { printf "%.3f", b - a }')
	BENCH_WALL=$(awk -v a="$BENCH_WALL0" -v b="$w" 'BEGIN { printf "%.4f", b - a }')
}

# bench_cpu_net BYTES: CPU-seconds per GB (10^9 bytes) of the last
# bench_cpu_begin/end window, less the idle machine's busy rate.
bench_cpu_net() {
	awk -v b="$BENCH_BUSY" -v w="$BENCH_WALL" -v i="${BENCH_IDLE:-0}" -v n="$1" \
		'BEGIN { c = b - i * w; if (c < 0) c = 0; printf "%.4f", c / (n / 1e9) }'
}

# bench_idle_rate: the machine's busy CPUs while this benchmark runs
# nothing, over $BENCH_IDLE_SECONDS, in $BENCH_IDLE.
bench_idle_rate() {
	bench_cpu_begin
	sleep "$BENCH_IDLE_SECONDS"
	bench_cpu_end
	BENCH_IDLE=$(awk -v b="$BENCH_BUSY" -v w="$BENCH_WALL" 'BEGIN { printf "%.3f", b / w }')
	awk -v i="$BENCH_IDLE" 'BEGIN { exit !(i > 0.15) }' &&
		bench_log "warning: the machine is not idle ($BENCH_IDLE CPUs busy): CPU figures are unreliable"
	return 0
}

# --- figures -------------------------------------------------------------

# bench_result KEY=VALUE...: record results of the current run.
bench_result() { echo "$*" >>"$BENCH_RESULT"; }

# bench_figure [--idle] [--one-end] FIG RUNFN [ARGS...]: per placement,
# warm-up rounds then $BENCH_RUNS rounds of "RUNFN ulk ARGS" then "RUNFN
# base ARGS". RUNFN returns non-zero with $BENCH_WHY on failure; the
# failure is reported on stderr and counted, and the figure goes on with
# the other runs; a side that failed twice under one placement is not run
# again there (a hang costs its timeout only twice). --idle: measure the
# idle machine first (for bench_cpu_net). --one-end: a single thread,
# "split" does not apply.
bench_figure() {
	local idle=0 one=0 fig fn r side p what
	local -A fails

	while :; do
		case $1 in
		--idle) idle=1 ;;
		--one-end) one=1 ;;
		*) break ;;
		esac
		shift
	done
	fig=$1 fn=$2
	shift 2
	for p in $BENCH_PLACEMENTS; do
		BENCH_PLACEMENT=$p
		case $p in
		same | unpinned) ;;
		split)
			[ $one -eq 0 ] || continue
			[ -n "$BENCH_CPU_B" ] || { bench_log "$fig: split skipped: one vCPU"; continue; }
			;;
		*) bench_die "unknown placement '$p' in BENCH_PLACEMENTS (same, split, unpinned)" ;;
		esac
		BENCH_IDLE=0
		if [ $idle -eq 1 ]; then
			bench_idle_rate
			echo "$BENCH_IDLE" >"$BENCH_TMP/r.$fig.$p.idle"
		fi
		fails=([ulk]=0 [base]=0)
		: >"$BENCH_TMP/r.$fig.$p.ulk"
		: >"$BENCH_TMP/r.$fig.$p.base"
		for ((r = 1 - BENCH_WARMUP; r <= BENCH_RUNS; r++)); do
			for side in ulk base; do
				if [ $r -le 0 ]; then
					what="$side warm-up"
					BENCH_RESULT=/dev/null
				else
					what="$side run $r/$BENCH_RUNS"
					BENCH_RESULT=$BENCH_TMP/r.$fig.$p.$side
				fi
				if [ "${fails[$side]}" -ge 2 ]; then
					echo FAILED >>"$BENCH_RESULT"
					continue
				fi
				bench_log "$fig $p: $what"
				BENCH_WHY="failed"
				"$fn" "$side" "$@" && continue
				bench_log "$fig $p: $what FAILED: $BENCH_WHY"
				echo FAILED >>"$BENCH_RESULT"
				fails[$side]=$((fails[$side] + 1))
				[ "${fails[$side]}" -lt 2 ] ||
					bench_log "$fig $p: $side failed twice: its other runs here are skipped"
			done
		done
	done
}

# bench_stats FILE KEY: "median min max count failed" of KEY in FILE.
bench_stats() {
	awk -v k="$2" '
	/^FAILED/ { f++; next }
	{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) v[n++] = substr($i, length(k) + 2) + 0 }
	END {
		if (!n) { printf "- - - 0 %d\n", f; exit }
		for (i = 1; i < n; i++)		# insertion sort: a handful of runs
			for (j = i; j > 0 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		m = n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
		printf "%s %s %s %d %d\n", m, v[0], v[n - 1], n, f
	}' "$1"
}

# bench_report FIG NAME KEY UNIT: one line per placement measured for FIG,
# KEY's median (min..max) for ulk and base, and the ratio of the medians.
bench_report() {
	local fig=$1 name=$2 key=$3 unit=$4 p u b extra

	for p in $BENCH_PLACEMENTS; do
		[ -f "$BENCH_TMP/r.$fig.$p.ulk" ] || continue
		u=$(bench_stats "$BENCH_TMP/r.$fig.$p.ulk" "$key")
		b=$(bench_stats "$BENCH_TMP/r.$fig.$p.base" "$key")
		extra=
		[ ! -f "$BENCH_TMP/r.$fig.$p.idle" ] ||
			extra=" idle=$(cat "$BENCH_TMP/r.$fig.$p.idle")CPU"
		awk -v n="$name" -v unit="$unit" -v p="$p" -v u="$u" -v b="$b" -v x="$extra" '
		function fmt(v, a) {
			a = v < 0 ? -v : v
			return sprintf(a >= 1000 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v)
		}
		function side(s, f) {
			split(s, f, " ")
			if (f[4] == 0) return "- " unit
			return fmt(f[1]) " " unit " (" fmt(f[2]) ".." fmt(f[3]) ")"
		}
		BEGIN {
			split(u, fu, " "); split(b, fb, " ")
			r = (fu[4] && fb[4] && fb[1] != 0) ? sprintf("%.2f", fu[1] / fb[1]) : "-"
			bad = fu[5] + fb[5]
			printf "%s: ulk=%s base=%s ratio=%s placement=%s%s%s\n", n, side(u), side(b), r, p, x,
				bad ? sprintf(" failed=%d/%d", bad, fu[4] + fu[5] + fb[4] + fb[5]) : ""
		}'
		# Any failed run, or a side with no result at all, fails the script.
		case "${u##* } ${b##* } ${u:0:1}${b:0:1}" in
		"0 0 "[!-][!-]) ;;
		*) BENCH_FAILED=1 ;;
		esac
	done
}

# bench_finish: the exit status: 1 if any run failed.
bench_finish() {
	bench_log "done$([ "$BENCH_FAILED" -eq 0 ] || echo ": some runs FAILED (see above)")"
	return "$BENCH_FAILED"
}
