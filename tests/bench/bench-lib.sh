# bench-lib.sh - the helpers of bench-switch.sh, sourced by it (not run on its
# own): cleanup of everything the benchmark starts, driving testpmd
# processes over fifos, and sampling counters and CPU shares over a window.
# Uses the globals bench-switch.sh sets (TESTPMD, GEN_CPU, DUT_CPU, KEEP,
# WARMUP, DURATION, the generator's options) and defines TMP, PIDS and FDS.
# ---------------------------------------------------------------- cleanup --
TMP=$(mktemp -d /tmp/vlab-bench.XXXXXX)
PIDS=()          # everything started, killed in reverse order on exit
FDS=()           # fifo writer fds

kill_pid() {     # kill_pid PID [grace seconds]: TERM, wait, then KILL
  local pid=$1 grace=${2:-5} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  local i fd
  trap - EXIT INT TERM HUP
  for fd in "${FDS[@]}"; do eval "exec $fd>&-" 2>/dev/null; done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill_pid "${PIDS[$i]}" 3; done
  if [ "$KEEP" = 1 ]; then
    echo "bench: logs kept in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap '' PIPE     # a testpmd that died makes writes to its fifo fail, not kill us
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

forget_pid() {   # drop a pid from PIDS once it is gone
  local p out=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || out+=("$p"); done
  PIDS=("${out[@]}")
}

now() { date +%s.%N; }

# wait_for FILE PATTERN TIMEOUT [OFFSET]: wait until the extended regexp
# appears in FILE after byte OFFSET.
wait_for() {
  local file=$1 pat=$2 timeout=$3 off=${4:-0} end
  end=$(( $(date +%s) + timeout ))
  while [ "$(date +%s)" -le "$end" ]; do
    if [ -f "$file" ] && tail -c +$((off + 1)) "$file" | grep -Eq -- "$pat"; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }

# ------------------------------------------------------- testpmd driving --
# A testpmd runs interactively with stdin on a fifo (kept open by this shell)
# and stdout line-buffered into a log. tp_start NAME ARGS...: sets TP_PID_NAME.
declare -A TP_FD TP_PID TP_LOG
STAGE=$TMP       # per-device directory: sockets, fifos, logs

tp_start() {
  local name=$1 fd; shift
  local dir="$STAGE/$name"
  mkdir -p "$dir"
  mkfifo "$dir/in"
  TP_LOG[$name]="$dir/log"
  stdbuf -oL -eL "$TESTPMD" "$@" <"$dir/in" >"$dir/log" 2>&1 &
  TP_PID[$name]=$!
  PIDS+=("$!")
  exec {fd}>"$dir/in"
  TP_FD[$name]=$fd
  FDS+=("$fd")
}

# tp_cmd NAME CMD [END-PATTERN TIMEOUT]: send one command; with a pattern,
# wait for it in the output that follows and leave that output in TP_OUT.
TP_OUT= TP_OFF=0
tp_cmd() {
  local name=$1 cmd=$2 pat=${3:-} timeout=${4:-10} off
  off=$(fsize "${TP_LOG[$name]}"); TP_OFF=$off
  echo "$cmd" >&"${TP_FD[$name]}" || return 1
  TP_OUT=
  [ -n "$pat" ] || return 0
  wait_for "${TP_LOG[$name]}" "$pat" "$timeout" "$off" || {
    log "$name: no answer to '$cmd' within ${timeout}s"; return 1; }
  sleep 0.05
  TP_OUT=$(tail -c +$((off + 1)) "${TP_LOG[$name]}")
}

tp_stop() {      # tp_stop NAME: quit (close stdin), then kill if it hangs
  local name=$1 pid=${TP_PID[$1]:-} fd=${TP_FD[$1]:-} i
  [ -n "$pid" ] || return 0
  if [ -n "$fd" ]; then
    echo "stop" >&"$fd" 2>/dev/null
    echo "quit" >&"$fd" 2>/dev/null
    eval "exec $fd>&-"
    local f out=(); for f in "${FDS[@]}"; do [ "$f" = "$fd" ] || out+=("$f"); done; FDS=("${out[@]}")
  fi
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill_pid "$pid" 3
  forget_pid "$pid"
  unset "TP_PID[$name]" "TP_FD[$name]"
}

# Generator. Flow set FS = loop: two virtio-user ports in server mode on
# DIR/sock0 and DIR/sock1 (testpmd ports 0 and 1), macswap, loop topology.
# FS = N: ports pcap0 (0), virtio0 (1), pcap1 (2), virtio1 (3), io forwarding,
# paired topology (0 <-> 1, 2 <-> 3): pcap0 replays file A into virtio0 and
# pcap1 file B into virtio1 (infinite_rx: the frames are loaded into mbufs
# once, then copied out again and again); what comes back on virtio0/1 goes to
# the pcap port's tx, which drops it since no tx_pcap/tx_iface is given (freeing
# the mbufs is all it costs). The EAL probe blocks at each virtio-user port
# until a client has connected to its socket.
GEN_VPORTS="0 1" # generator ports the device under test is connected to
GEN_PPORTS=      # pcap source ports (flow sets of N pairs)
gen_start() {
  local dir=$1 i
  if [ "$FS" = loop ]; then
    GEN_VPORTS="0 1" GEN_PPORTS=
    tp_start gen --lcores "0@$GEN_CPU,1@$GEN_CPU" --main-lcore 0 \
      --no-pci --in-memory --single-file-segments --file-prefix "vlab-bench-gen-$$" -m 1024 \
      --vdev "net_virtio_user0,path=$dir/sock0,server=1,queues=1" \
      --vdev "net_virtio_user1,path=$dir/sock1,server=1,queues=1" \
      -- -i --forward-mode=macswap --port-topology=loop --nb-cores=1 \
      --txpkts=64
  else
    GEN_VPORTS="1 3" GEN_PPORTS="0 2"
    # each pcap port keeps its whole file in mbufs; about 2.5 KiB per mbuf
    local frames=${FLOW_FRAMES[$FS]} mbufs mem
    mbufs=$((2 * frames + 16384))
    mem=$((512 + mbufs * 5 / 2 / 1024))
    [ "$mem" -lt 1024 ] && mem=1024
    tp_start gen --lcores "0@$GEN_CPU,1@$GEN_CPU" --main-lcore 0 \
      --no-pci --in-memory --single-file-segments --file-prefix "vlab-bench-gen-$$" -m "$mem" \
      --vdev "net_pcap0,rx_pcap=$FLOW_DIR/flows-$FS-a${GEN_A_SUFFIX:-}.pcap,infinite_rx=1" \
      --vdev "net_virtio_user0,path=$dir/sock0,server=1,queues=1" \
      --vdev "net_pcap1,rx_pcap=$FLOW_DIR/flows-$FS-b.pcap,infinite_rx=1" \
      --vdev "net_virtio_user1,path=$dir/sock1,server=1,queues=1" \
      -- -i --forward-mode=io --port-topology=paired --nb-cores=1 \
      --total-num-mbufs="$mbufs"
  fi
  for ((i = 0; i < 100; i++)); do [ -S "$dir/sock0" ] && return 0; kill -0 "${TP_PID[gen]}" 2>/dev/null || break; sleep 0.1; done
  log "generator did not create $dir/sock0; see log:"; tail -20 "${TP_LOG[gen]}" >&2
  return 1
}

# gen_ready: after the DUT connected, wait for the prompt and both links up.
gen_ready() {
  local i p up
  wait_for "${TP_LOG[gen]}" 'testpmd> ' 60 || {
    log "generator did not start (did the device under test connect?); see log:"
    tail -20 "${TP_LOG[gen]}" >&2; return 1; }
  for ((i = 0; i < 60; i++)); do
    up=0
    for p in $GEN_VPORTS; do
      tp_cmd gen "show port info $p" 'Link status: (up|down)' 10 || return 1
      grep -q 'Link status: up' <<<"$TP_OUT" && up=$((up + 1))
    done
    [ $up -eq 2 ] && return 0
    sleep 0.5
  done
  log "generator links did not come up"; return 1
}

# gen_rx: prints "TIME RX0 RX1 TX0 TX1": RX-packets and TX-packets of the two
# generator ports connected to the device (TX: what the device's rings took).
gen_rx() {
  local t last
  t=$(now)
  last=$(tr ' ' '\n' <<<"$GEN_VPORTS $GEN_PPORTS" | sort -n | tail -1)
  tp_cmd gen "show port stats all" "NIC statistics for port $last" 10 || return 1
  # wait until the block of the last port is complete (its closing line of #)
  local i
  for ((i = 0; i < 100; i++)); do
    TP_OUT=$(tail -c +$((TP_OFF + 1)) "${TP_LOG[gen]}")
    awk -v l="NIC statistics for port $last " 'index($0, l){f=1} f && /^ *#+ *$/{ok=1} END{exit !ok}' <<<"$TP_OUT" && break
    sleep 0.02
  done
  awk -v t="$t" -v ports="$GEN_VPORTS" '
    /NIC statistics for port/ { p = $0; gsub(/[^0-9]/, "", p); cur = p }
    /RX-packets:/ { for (i = 1; i <= NF; i++) if ($i == "RX-packets:") rx[cur] = $(i + 1) }
    /TX-packets:/ { for (i = 1; i <= NF; i++) if ($i == "TX-packets:") tx[cur] = $(i + 1) }
    END { split(ports, pl, " ")
          if (!(pl[1] in rx) || !(pl[2] in rx) || !(pl[1] in tx) || !(pl[2] in tx)) exit 1
          print t, rx[pl[1]], rx[pl[2]], tx[pl[1]], tx[pl[2]] }' <<<"$TP_OUT"
}

# gen_traffic: start the generator and check that frames come back; retries
# when they do not (the DUT was not forwarding yet: the loop did not fill).
gen_traffic() {
  local try a b start="start tx_first 32"
  [ "$FS" = loop ] || start="start"
  for ((try = 1; try <= 4; try++)); do
    tp_cmd gen "$start" 'testpmd> ' 10
    sleep 1
    a=$(gen_rx) || return 1
    sleep 0.5
    b=$(gen_rx) || return 1
    if [ "$(awk '{print $2 + $3}' <<<"$b")" -gt "$(awk '{print $2 + $3}' <<<"$a")" ]; then
      return 0
    fi
    log "no traffic yet (try $try), restarting the generator"
    tp_cmd gen "stop" 'testpmd> ' 10
    sleep 1
  done
  log "no traffic through the device under test"
  return 1
}

# pmd_ticks PID [CPU]: "TIME TICKS", CPU time (clock ticks) of the threads of
# PID that run on CPU (default: the polling CPU). Over the window this tells which share of that
# CPU the device under test really got (other load on it inflates cycles/pkt).
pmd_ticks() {    # pmd_ticks PID [CPU]
  local t
  t=$(now)
  cat /proc/"$1"/task/*/stat 2>/dev/null | awk -v t="$t" -v cpu="${2:-$DUT_CPU}" '
    { sub(/^.*\) /, ""); if ($37 == cpu) n += $12 + $13 }
    END { print t, n + 0 }'
}

# CPU accounting over the window. win_sample DUT-PID prints
# "TIME BUSY0 BUSY1 GEN0 DUT0 DUT1": busy ticks of the generator CPU and the
# polling CPU (/proc/stat: everything but idle and iowait, steal included),
# the generator's ticks on its CPU, the device's ticks on either CPU. All the
# threads involved are pinned, so "on CPU" is where they run.
win_sample() {
  local t b g d0 d1
  t=$(now)
  b=$(awk -v c0="cpu$GEN_CPU" -v c1="cpu$DUT_CPU" '
    $1 == c0 { x = $2 + $3 + $4 + $7 + $8 + $9 } $1 == c1 { y = $2 + $3 + $4 + $7 + $8 + $9 }
    END { print x + 0, y + 0 }' /proc/stat)
  g=$(pmd_ticks "${TP_PID[gen]}" "$GEN_CPU"); d0=$(pmd_ticks "$1" "$GEN_CPU"); d1=$(pmd_ticks "$1" "$DUT_CPU")
  echo "$t $b ${g#* } ${d0#* } ${d1#* }"
}
# win_shares KEY A B: from two win_sample lines, RES[KEY.cpu] (share of the
# polling CPU the device got), .gcpu (share of CPU 0 the generator got),
# .dcpu0 (share of CPU 0 the device's other threads used), .other0/.other1
# (share of CPU 0 / CPU 1 used by anything else: other load on the machine).
win_shares() {
  local key=$1 v
  v=$(awk -v a="$2" -v b="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(a, x, " "); split(b, y, " "); dt = y[1] - x[1]
    if (dt <= 0) { print "null null null null null"; exit }
    for (i = 2; i <= 6; i++) d[i] = (y[i] - x[i]) / hz / dt
    o0 = d[2] - d[4] - d[5]; o1 = d[3] - d[6]
    printf "%.3f %.3f %.3f %.3f %.3f\n", d[6], d[4], d[5], o0 < 0 ? 0 : o0, o1 < 0 ? 0 : o1 }')
  read -r "RES[$key.cpu]" "RES[$key.gcpu]" "RES[$key.dcpu0]" "RES[$key.other0]" "RES[$key.other1]" <<<"$v"
}

# Result store of one measurement: RES[<dev>.mpps|.dut_mpps|.cpp|.busy|.cpu|
# .gcpu|.dcpu0|.other0|.other1|.offered|.macs|.err] (.busy: share of the
# polling core's cycles spent on iterations that had packets: under 1 the
# device kept up and waited for the generator)
declare -A RES

# mpps_from A B: A and B are "TIME RX0 RX1" samples.
mpps_from() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
  dt = y[1] - x[1]; if (dt <= 0) { print "null"; exit }
  printf "%.3f\n", ((y[2] + y[3]) - (x[2] + x[3])) / dt / 1e6 }'; }
# offered_from A B: rate the generator sent into the device (TX of its two
# ports: frames the device's rings took; the rest was dropped by the generator).
offered_from() { awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ");
  dt = y[1] - x[1]; if (dt <= 0 || n < 5) { print "null"; exit }
  printf "%.3f\n", ((y[4] + y[5]) - (x[4] + x[5])) / dt / 1e6 }'; }

# wait_learned KEY LABEL: after the warm-up, wait (at most LEARN_WAIT s) until
# the device knows the 2N MACs of the flow set, so that the window measures
# forwarding between learned MACs (OVS learns in upcalls, slowly when it has
# more flows than its datapath takes). The count after the window is the check.
LEARN_WAIT=60
wait_learned() {
  local key=$1 label=$2 want n=0 i
  [ "$FS" = loop ] && return 0
  want=$((2 * FS))
  for ((i = 0; i <= LEARN_WAIT; i++)); do
    case $key in b) n=$(ovs_macs) ;; c) n=$(vlab_macs) ;; esac
    case "$n" in ''|*[!0-9]*) n=0 ;; esac
    if [ "$n" -ge "$want" ]; then
      [ $i -gt 0 ] && log "$label: all $want MACs learned ${i}s after the warm-up"
      return 0
    fi
    sleep 1
  done
  log "$label: only $n of $want MACs learned ${LEARN_WAIT}s after the warm-up; measuring anyway"
}

