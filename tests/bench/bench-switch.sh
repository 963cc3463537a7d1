#!/usr/bin/env bash
# bench-switch.sh - forwarding benchmark for vlab-switchd (run by hand: `make bench`).
#
# Measures, in one run and with the same traffic generator, forwarding of
# 64-byte frames between two vhost-user ports by three devices under test:
#   a) testpmd io forwarding between two net_vhost ports (no switching: the
#      practical limit of vhost-user forwarding on this machine),
#   b) OVS-DPDK (ovs-vswitchd-dpdk) with the NORMAL action (MAC learning),
#   c) vlab-switchd (MAC learning in one network).
# Each device is measured once per flow set (--flows), i.e. per number N of
# MAC pairs in the traffic (default N = 1, 1000, 65536):
#   N pairs     the generator, dpdk-testpmd, has four ports: pcap0, virtio0,
#               pcap1, virtio1, io forwarding with --port-topology=paired.
#               net_pcap with infinite_rx replays file A (src=A_i dst=B_i,
#               i < N) from pcap0 into virtio0 and file B (src=B_i dst=A_i)
#               from pcap1 into virtio1, open loop; what the device delivers
#               on virtio0/1 goes to the pcap ports' tx side, which drops it
#               (no tx_pcap/tx_iface given: the cheapest sink). The files are
#               written by mkflows.py into the temporary directory. OVS's MAC
#               table (mac-table-size) and vlab's per-port MAC limit
#               (--mac-limit) are raised to hold 2N MACs; the window starts
#               once the device knows them (at most 60 s after the warm-up),
#               and after it the MACs each device learned are counted: fewer
#               than 2N marks the row (and the run) failed.
#   loop        the earlier closed-loop mode: two virtio-user ports,
#               --forward-mode=macswap --port-topology=loop, `start tx_first
#               32`, one MAC pair.
# The generator's lcores are both on CPU 0; the generator owns the sockets and
# the device under test connects as vhost-user client. Device under test: one
# polling core, CPU 1 (control threads on CPU 0). Each device is measured for
# the same window after a warm-up.
#
# Figures per device and flow set:
#   Mpps        aggregate rate received by the generator on both virtio ports
#               over the window (DUT-independent; the primary rate),
#   dut Mpps    packets received by the device itself over the window,
#   cycles/pkt  busy cycles of the device's polling core per received packet
#               (testpmd --record-core-cycles "CPU cycles/packet"; OVS
#               pmd-stats-show "avg processing cycles per packet"; vlab
#               stats pmds[].busy_cycles / packets, configured through the
#               control socket as documented in docs/switch-api.md),
#   pmd cpu     share of CPU 1 the device's threads got over the window,
#   gen cpu     share of CPU 0 the generator got. The row is marked
#               "disturbed" when processes other than these two took more
#               than 10% of either CPU (busy time in /proc/stat minus theirs):
#               other load on the machine preempted the polling thread, which
#               inflates cycles/pkt, or the generator. A low share caused by
#               the device itself (OVS's revalidators on CPU 0, its PMD
#               blocking on locks) is not a disturbance; the device's share
#               of CPU 0 is noted when above 10%,
#   MACs        MACs the device had learned at the end of the window, of the
#               2N expected (OVS fdb/show, vlab stats fdb.entries).
# On a 2-core machine the generator is often the bottleneck, so cycles/pkt is
# the figure to compare; rates move from run to run (--rounds N reports
# medians of N interleaved rounds, over the undisturbed ones when any).
#
# Targets, per flow set: vlab cycles/pkt <= 0.75 x OVS; vlab cycles/pkt
# <= 1.10 x testpmd at N = 1 and <= 1.30 x at N = 65536 (other N: reported);
# vlab/OVS Mpps reported. loop: vlab Mpps >= OVS Mpps, cycles/pkt <= 0.75 x
# OVS and <= 1.15 x testpmd. The exit status is 0 when every selected device
# ran (targets are reported, not enforced), 1 when one failed or learned fewer
# MACs than expected, 2 on usage errors.
#
# Needs root, hugepages (scripts/setup.sh), python3, dpdk-testpmd, and for (b)
# openvswitch-switch-dpdk; (c) is skipped when vlab-switchd is not built
# (the binary: --switchd PATH or $SWITCHD, else BUILD/switch/vlab-switchd).
# Everything it starts is stopped on exit, and its
# temporary directory (sockets, pcap files, logs, OVS database) is removed.

set -uo pipefail

usage() {
  cat <<EOF
usage: $0 [options]
  --flows LIST   flow sets, comma-separated: numbers N of MAC pairs (1..$MAX_FLOWS)
                 and/or "loop" (macswap closed loop, one pair); default $FLOWS_DEFAULT
  --duration S   measurement window per device and flow set, seconds (default 10)
  --warmup S     warm-up before the window, seconds (default 3); with N pairs
                 the window also waits until the device knows the 2N MACs
  --rounds N     measure every device N times, interleaved, and report
                 medians, over the undisturbed rounds when any (default 1)
  --only LIST    devices to run, comma-separated from a,b,c
                 (a = testpmd-io, b = ovs-dpdk, c = vlab; default a,b,c)
  --build DIR    meson build directory holding switch/vlab-switchd (default build)
  --switchd PATH vlab-switchd binary to measure (default: \$SWITCHD from the
                 environment, else DIR/switch/vlab-switchd)
  --vlab-capture MODE  what vlab's capture does during its window: off (default),
                 all (vlab capture of the network to /dev/null), nomatch (a
                 capture whose filter matches nothing: the filter's cost alone),
                 record (the network's flight recorder on, 10000 packets)
  --vlab-policy MODE  a policy on vlab's network (frames entering from its
                 ports) during its window: off (default); N (a number: N-1
                 rules that do not match the traffic, TCP port rules and
                 prefix rules, then one that allows it, default drop);
                 stateful (one stateful rule allows A->B, B->A passes as
                 replies of its connections: one connection per flow)
  --vlab-vxlan   vlab's port p0 is a VXLAN underlay (in a network of its own)
                 and p1's network reaches a remote VTEP behind it: file A is
                 replayed as VXLAN from that VTEP (decapsulated to p1), p1's
                 frames are encapsulated to it (run --only c; compare with
                 a run without it)
  --keep         keep the temporary directory (logs) and print its path
  -j, --json     print the results as one JSON object instead of tables
  -h, --help     this help
EOF
}

MAX_FLOWS=262144
FLOWS_DEFAULT=1,1000,65536
FLOWS=$FLOWS_DEFAULT
DURATION=10
ROUNDS=1
WARMUP=3
ONLY=a,b,c
BUILD=build
JSON=0
KEEP=0
SWITCHD=${SWITCHD:-}
VCAP=off
VPOL=off
VVX=0
GEN_CPU=0
DUT_CPU=1

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --duration=*) DURATION=${1#*=}; shift ;;
    --warmup) WARMUP=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --warmup=*) WARMUP=${1#*=}; shift ;;
    --rounds) ROUNDS=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --rounds=*) ROUNDS=${1#*=}; shift ;;
    --only) ONLY=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --only=*) ONLY=${1#*=}; shift ;;
    --build) BUILD=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --build=*) BUILD=${1#*=}; shift ;;
    --switchd) SWITCHD=${2:-}; shift 2 || { usage >&2; exit 2; }
               [ -n "$SWITCHD" ] || { usage >&2; exit 2; } ;;
    --switchd=*) SWITCHD=${1#*=}; shift ;;
    --flows) FLOWS=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --flows=*) FLOWS=${1#*=}; shift ;;
    --vlab-capture) VCAP=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --vlab-capture=*) VCAP=${1#*=}; shift ;;
    --vlab-policy) VPOL=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    --vlab-policy=*) VPOL=${1#*=}; shift ;;
    --vlab-vxlan) VVX=1; shift ;;
    --keep) KEEP=1; shift ;;
    -j|--json) JSON=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

case "$VCAP" in off|all|nomatch|record) ;; *) echo "bench: --vlab-capture wants off, all, nomatch or record" >&2; exit 2 ;; esac
case "$VPOL" in off|stateful|[1-9]|[1-9][0-9]|[1-9][0-9][0-9]|[1-9][0-9][0-9][0-9]|[1-9][0-9][0-9][0-9][0-9]) ;;
  *) echo "bench: --vlab-policy wants off, stateful or a number of rules (1..99999)" >&2; exit 2 ;; esac
case "$DURATION" in ''|*[!0-9]*|0) echo "bench: --duration wants a positive integer" >&2; exit 2 ;; esac
case "$ROUNDS" in ''|*[!0-9]*|0) echo "bench: --rounds wants a positive integer" >&2; exit 2 ;; esac
case "$WARMUP" in ''|*[!0-9]*) echo "bench: --warmup wants an integer" >&2; exit 2 ;; esac
RUN_A=0 RUN_B=0 RUN_C=0
IFS=, read -ra _sel <<<"$ONLY"
for s in "${_sel[@]}"; do
  case "$s" in
    a|testpmd|testpmd-io) RUN_A=1 ;;
    b|ovs|ovs-dpdk) RUN_B=1 ;;
    c|vlab) RUN_C=1 ;;
    *) echo "bench: --only: unknown device '$s' (use a,b,c)" >&2; exit 2 ;;
  esac
done
[ $((RUN_A + RUN_B + RUN_C)) -gt 0 ] || { echo "bench: --only selects nothing" >&2; exit 2; }
FLOWSETS=()      # "loop" or a number of MAC pairs, in the order given
IFS=, read -ra _sel <<<"$FLOWS"
for s in "${_sel[@]}"; do
  case "$s" in
    loop) ;;
    ''|*[!0-9]*) echo "bench: --flows: '$s' is neither a number of MAC pairs nor 'loop'" >&2; exit 2 ;;
    *) s=$((10#$s))
       if [ "$s" -lt 1 ] || [ "$s" -gt "$MAX_FLOWS" ]; then
         echo "bench: --flows: $s MAC pairs is outside 1..$MAX_FLOWS" >&2; exit 2
       fi ;;
  esac
  case " ${FLOWSETS[*]} " in *" $s "*) ;; *) FLOWSETS+=("$s") ;; esac
done
[ ${#FLOWSETS[@]} -gt 0 ] || { echo "bench: --flows selects nothing" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

TESTPMD=${TESTPMD:-dpdk-testpmd}
OVS_VSWITCHD=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
if [ -n "$SWITCHD" ]; then
  # given explicitly (option or environment): it must be there
  case "$SWITCHD" in /*) ;; *) SWITCHD="$PWD/$SWITCHD" ;; esac
  [ -x "$SWITCHD" ] || { echo "bench: --switchd/SWITCHD: $SWITCHD is not an executable" >&2; exit 2; }
else
  SWITCHD="$BUILD/switch/vlab-switchd"
fi
VLAB_CLI=${VLAB_CLI:-$(dirname "$SWITCHD")/../control/vlab}
if [ "$VCAP" != off ]; then
  [ -x "$VLAB_CLI" ] || { echo "bench: --vlab-capture needs the vlab CLI ($VLAB_CLI; or \$VLAB_CLI)" >&2; exit 2; }
  echo "bench: vlab measured with capture mode '$VCAP' on during its window" >&2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "bench: run as root (DPDK needs hugepages)" >&2; exit 2
fi
command -v "$TESTPMD" >/dev/null || { echo "bench: $TESTPMD not found (run scripts/setup.sh)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench: python3 not found" >&2; exit 2; }
if ! mountpoint -q /dev/hugepages 2>/dev/null && ! grep -q hugetlbfs /proc/mounts; then
  echo "bench: no hugetlbfs mounted (run scripts/setup.sh)" >&2; exit 2
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: needs 2 CPUs (generator on CPU $GEN_CPU, device under test on CPU $DUT_CPU)" >&2; exit 2
fi

# Progress and warnings: stdout for the table, stderr with --json.
if [ "$JSON" = 1 ]; then exec 5>&2; else exec 5>&1; fi
log() { echo "bench: $*" >&5; }

# Keep this script, and every helper it runs, off the polling core of the
# device under test: DPDK lcores and OVS PMD threads pin themselves.
taskset -pc "$GEN_CPU" $$ >/dev/null 2>&1 || true

# Warn when the machine is busy before we start: the figures would be skewed.
proc_ticks() {   # "PID TICKS COMM" of every process
  cat /proc/[0-9]*/stat 2>/dev/null |
    awk '{ c = $0; sub(/^[0-9]+ \(/, "", c); sub(/\) .*/, "", c); r = $0; sub(/^.*\) /, "", r)
           split(r, f, " "); print $1, f[12] + f[13], c }'
}
check_idle() {
  local a b pa pb
  a=$(grep -E "^cpu($GEN_CPU|$DUT_CPU) " /proc/stat); pa=$(proc_ticks)
  sleep 1
  b=$(grep -E "^cpu($GEN_CPU|$DUT_CPU) " /proc/stat); pb=$(proc_ticks)
  BUSY=$(awk -v a="$a" -v b="$b" 'BEGIN {
    n = split(a, la, "\n"); split(b, lb, "\n")
    for (i = 1; i <= n; i++) {
      split(la[i], x, " "); split(lb[i], y, " "); tot = 0
      for (k = 2; k <= 9; k++) tot += y[k] - x[k]
      idle = (y[5] - x[5]) + (y[6] - x[6])
      if (tot > 0 && (tot - idle) / tot > 0.15) printf "%s %d%% busy ", x[1], 100 * (tot - idle) / tot
    }}')
  # the busiest processes over that second
  HOGS=$(awk 'NR == FNR { t[$1] = $2; next } ($1 in t) && $2 - t[$1] > 5 {
           printf "%d %s(%d)\n", $2 - t[$1], $3, $1 }' <(echo "$pa") <(echo "$pb") |
         sort -rn | head -3 | awk '{ printf "%s %s%%  ", $2, $1 }')
}
check_idle
if [ -n "$BUSY" ]; then
  log "WARNING: the machine is not idle before the run (${BUSY% }); figures will be disturbed."
  [ -n "$HOGS" ] && log "WARNING: busiest: $HOGS"
fi

# Cleanup, testpmd driving and sampling helpers.
# shellcheck source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
# shellcheck source=bench-vlab-features.sh
. "$(dirname "$0")/bench-vlab-features.sh"

# -------------------------------------------------------------------- (a) --
run_testpmd() {
  local dir="$TMP/r$round/f$FS/a" c0 c1 s0 s1 out t0 t1 cpp rx
  mkdir -p "$dir"; STAGE=$dir
  gen_start "$dir" || return 1
  tp_start dut --lcores "0@$GEN_CPU,1@$DUT_CPU" --main-lcore 0 \
    --no-pci --in-memory --file-prefix "vlab-bench-dut-$$" -m 512 \
    --vdev "net_vhost0,iface=$dir/sock0,client=1,queues=1" \
    --vdev "net_vhost1,iface=$dir/sock1,client=1,queues=1" \
    -- -i --forward-mode=io --record-core-cycles --nb-cores=1
  gen_ready || return 1
  wait_for "${TP_LOG[dut]}" 'testpmd> ' 30 || { log "testpmd-io did not start"; return 1; }
  wait_for "${TP_LOG[dut]}" 'Port 1: link state change' 30 || true
  tp_cmd dut "start" 'testpmd> ' 10 || return 1
  gen_traffic || return 1
  sleep "$WARMUP"
  tp_cmd dut "clear fwd stats all" 'testpmd> ' 10
  t0=$(now)
  c0=$(win_sample "${TP_PID[dut]}")
  s0=$(gen_rx) || return 1
  sleep "$DURATION"
  s1=$(gen_rx) || return 1
  c1=$(win_sample "${TP_PID[dut]}")
  win_shares a "$c0" "$c1"
  tp_cmd dut "show fwd stats all" 'CPU cycles/packet' 10 || return 1
  t1=$(now)
  out=$TP_OUT
  cpp=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' <<<"$out" | tail -1)
  rx=$(awk '/Accumulated forward statistics/{f=1} f && /RX-packets:/{for(i=1;i<=NF;i++) if($i=="RX-packets:") {print $(i+1); exit}}' <<<"$out")
  RES[a.mpps]=$(mpps_from "$s0" "$s1")
  RES[a.offered]=$(offered_from "$s0" "$s1")
  RES[a.cpp]=${cpp:-null}
  RES[a.macs]=null   # io forwarding learns nothing
  RES[a.busy]=$(sed -n 's/.*total cycles=\([0-9]*\) .* at \([0-9]*\) MHz.*/\1 \2/p' <<<"$out" | tail -1 |
    awk -v a="$t0" -v b="$t1" '{ if ($2 > 0 && b > a) printf "%.3f\n", $1 / ($2 * 1e6 * (b - a)) }')
  RES[a.dut_mpps]=$(awk -v r="${rx:-0}" -v a="$t0" -v b="$t1" 'BEGIN{ if (r == 0 || b <= a) print "null"; else printf "%.3f\n", r / (b - a) / 1e6 }')
  tp_cmd gen "stop" 'testpmd> ' 10
  tp_stop dut
  tp_stop gen
}

# -------------------------------------------------------------------- (b) --
OVS_DIR=
OVSDB_PID=
OVSD_PID=
ovs_vsctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
ovs_appctl() { ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" --timeout=30 "$@"; }

ovs_stop() {
  [ -n "$OVSD_PID" ] && { ovs_appctl exit >/dev/null 2>&1 & local ap=$!; sleep 1; kill_pid "$ap" 1;
                          kill_pid "$OVSD_PID" 5; forget_pid "$OVSD_PID"; OVSD_PID=; }
  [ -n "$OVSDB_PID" ] && { kill_pid "$OVSDB_PID" 3; forget_pid "$OVSDB_PID"; OVSDB_PID=; }
}

ovs_macs() {     # MACs in br0's table (fdb/stats-show; fdb/show when that fails)
  local n
  n=$(ovs_appctl fdb/stats-show br0 2>/dev/null |
      sed -n 's/.*Current\/maximum MAC entries in the table: *\([0-9]*\)\/.*/\1/p')
  [ -n "$n" ] || n=$(ovs_appctl fdb/show br0 2>/dev/null | awk 'NR > 1 && NF >= 3 { n++ } END { print n + 0 }')
  echo "$n"
}

ovs_if_rx() {    # prints "TIME RX0 RX1": live datapath port counters of vh0, vh1
  local t out
  t=$(now)
  out=$(ovs_appctl dpctl/show -s) || return 1
  awk -v t="$t" '
    /^ *port [0-9]+: / { name = $3 }
    /RX packets:/ { for (i = 1; i <= NF; i++) if ($i ~ /^packets:/) { v = $i; sub(/packets:/, "", v); rx[name] = v } }
    END { if (!("vh0" in rx) || !("vh1" in rx)) exit 1; print t, rx["vh0"], rx["vh1"] }' <<<"$out"
}

run_ovs() {
  local dir="$TMP/r$round/f$FS/b" c0 c1 s0 s1 d0 d1 out cpp i
  command -v ovsdb-server >/dev/null && command -v ovs-vsctl >/dev/null && [ -x "$OVS_VSWITCHD" ] || {
    log "ovs-dpdk: $OVS_VSWITCHD / ovsdb-server / ovs-vsctl not found (install openvswitch-switch-dpdk)"; return 1; }
  mkdir -p "$dir/ovs"; STAGE=$dir
  OVS_DIR="$dir/ovs"
  export OVS_RUNDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_SYSCONFDIR="$OVS_DIR"
  ovsdb-tool create "$OVS_DIR/conf.db" "$OVS_SCHEMA" || { log "ovs-dpdk: ovsdb-tool create failed"; return 1; }
  taskset -c "$GEN_CPU" ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
    --unixctl="$OVS_DIR/ovsdb-server.ctl" --pidfile="$OVS_DIR/ovsdb-server.pid" \
    --log-file="$OVS_DIR/ovsdb-server.log" --no-chdir >/dev/null 2>&1 &
  OVSDB_PID=$!; PIDS+=("$!")
  for ((i = 0; i < 100; i++)); do [ -S "$OVS_DIR/db.sock" ] && break; sleep 0.1; done
  [ -S "$OVS_DIR/db.sock" ] || { log "ovs-dpdk: ovsdb-server did not start"; return 1; }
  ovs_vsctl --no-wait init || return 1
  ovs_vsctl --no-wait set Open_vSwitch . \
    other_config:dpdk-init=true \
    other_config:dpdk-lcore-mask=$(printf '0x%x' $((1 << GEN_CPU))) \
    other_config:pmd-cpu-mask=$(printf '0x%x' $((1 << DUT_CPU))) \
    other_config:dpdk-socket-mem=512 \
    other_config:dpdk-extra="--in-memory --no-pci --file-prefix=vlab-bench-ovs-$$" || return 1
  # Non-PMD threads (main, handlers, revalidators) stay on the generator CPU;
  # the PMD thread pins itself to pmd-cpu-mask.
  taskset -c "$GEN_CPU" "$OVS_VSWITCHD" "unix:$OVS_DIR/db.sock" \
    --unixctl="$OVS_DIR/ovs-vswitchd.ctl" --pidfile="$OVS_DIR/ovs-vswitchd.pid" \
    --log-file="$OVS_DIR/ovs-vswitchd.log" --no-chdir -vconsole:off >"$OVS_DIR/ovs-vswitchd.out" 2>&1 &
  OVSD_PID=$!; PIDS+=("$!")
  for ((i = 0; i < 300; i++)); do
    [ -S "$OVS_DIR/ovs-vswitchd.ctl" ] && ovs_appctl version >/dev/null 2>&1 && break
    kill -0 "$OVSD_PID" 2>/dev/null || break
    sleep 0.1
  done
  ovs_appctl version >/dev/null 2>&1 || { log "ovs-dpdk: ovs-vswitchd did not start; see log:"
    tail -20 "$OVS_DIR/ovs-vswitchd.out" "$OVS_DIR/ovs-vswitchd.log" >&2 2>/dev/null; return 1; }
  [ "$(ovs_vsctl get Open_vSwitch . dpdk_initialized)" = true ] || { log "ovs-dpdk: DPDK not initialized"; tail -20 "$OVS_DIR/ovs-vswitchd.log" >&2; return 1; }

  gen_start "$dir" || return 1
  local mt=
  # room for the 2N MACs of the flow set (the default table holds 2048)
  [ "$FS" = loop ] || mt="other_config:mac-table-size=$MAC_CAP"
  ovs_vsctl add-br br0 -- set bridge br0 datapath_type=netdev $mt \
    -- add-port br0 vh0 -- set interface vh0 type=dpdkvhostuserclient options:vhost-server-path="$dir/sock0" \
    -- add-port br0 vh1 -- set interface vh1 type=dpdkvhostuserclient options:vhost-server-path="$dir/sock1" \
    || { log "ovs-dpdk: bridge setup failed"; tail -20 "$OVS_DIR/ovs-vswitchd.log" >&2; return 1; }
  gen_ready || return 1
  for ((i = 0; i < 100; i++)); do
    [ "$(ovs_vsctl get interface vh0 link_state 2>/dev/null)" = up ] &&
      [ "$(ovs_vsctl get interface vh1 link_state 2>/dev/null)" = up ] && break
    sleep 0.2
  done
  gen_traffic || return 1
  sleep "$WARMUP"
  wait_learned b ovs-dpdk
  ovs_appctl dpif-netdev/pmd-stats-clear >/dev/null || return 1
  d0=$(ovs_if_rx) || return 1
  c0=$(win_sample "$OVSD_PID")
  s0=$(gen_rx) || return 1
  sleep "$DURATION"
  s1=$(gen_rx) || return 1
  c1=$(win_sample "$OVSD_PID")
  win_shares b "$c0" "$c1"
  d1=$(ovs_if_rx) || return 1
  out=$(ovs_appctl dpif-netdev/pmd-stats-show) || return 1
  echo "$out" >"$dir/pmd-stats.txt"
  # the MACs learned, while traffic still flows (one header line)
  ovs_appctl fdb/show br0 >"$dir/fdb.txt" 2>&1 || { log "ovs-dpdk: fdb/show failed"; return 1; }
  RES[b.macs]=$(awk 'NR > 1 && NF >= 3 { n++ } END { print n + 0 }' "$dir/fdb.txt")
  ovs_appctl upcall/show >"$dir/upcall.txt" 2>&1
  ovs_appctl dpctl/show -s >"$dir/dpctl-show.txt" 2>&1
  # a full dump of 2N megaflows would be tens of MB: only for small sets
  if [ "$FS" = loop ] || [ "$FS" -le 1000 ]; then
    ovs_appctl dpctl/dump-flows -m >"$dir/dp-flows.txt" 2>&1
  fi
  # the PMD on DUT_CPU: "avg processing cycles per packet: 312.45 (cycles/packets)"
  cpp=$(awk -v core="core_id $DUT_CPU:" '
    /^pmd thread/ { f = index($0, core) > 0 }
    f && /avg processing cycles per packet:/ { print $6; exit }' <<<"$out")
  RES[b.mpps]=$(mpps_from "$s0" "$s1")
  RES[b.offered]=$(offered_from "$s0" "$s1")
  RES[b.dut_mpps]=$(mpps_from "$d0" "$d1")
  RES[b.cpp]=${cpp:-null}
  RES[b.busy]=$(awk -v core="core_id $DUT_CPU:" '
    /^pmd thread/ { f = index($0, core) > 0 }
    f && /processing cycles:/ { v = $4; gsub(/[(%)]/, "", v); printf "%.3f\n", v / 100; exit }' <<<"$out")
  tp_cmd gen "stop" 'testpmd> ' 10
  tp_stop gen
  ovs_stop
}

# -------------------------------------------------------------------- (c) --
SWD_PID=
SWD_SOCK=
# vlab_api METHOD [PARAMS-JSON]: one request on the control socket
# (docs/switch-api.md); prints the result as JSON, fails on an error reply.
# Requests go through one python3 helper (a coprocess holding one connection)
# so that sampling costs no interpreter start-up on the generator's CPU.
# "rx" is a local pseudo-method: stats reduced to "TIME RX_p0 RX_p1", TIME
# taken when the answer arrived.
VLAB_PY='
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
rd = s.makefile("rb")
for line in sys.stdin:
    method, _, params = line.strip().partition(" ")
    req = {"id": 1, "method": "stats" if method == "rx" else method}
    if params:
        req["params"] = json.loads(params)
    try:
        s.sendall((json.dumps(req) + "\n").encode())
        resp = json.loads(rd.readline())
    except Exception as e:
        print("ERR %s" % e, flush=True)
        continue
    t = time.time()
    if "error" in resp:
        print("ERR %s" % resp["error"].get("message"), flush=True)
    elif method == "rx":
        rx = {p["name"]: p["rx_packets"] for p in resp["result"]["ports"]}
        print("OK %.6f %d %d" % (t, rx.get("p0", 0), rx.get("p1", 0)), flush=True)
    else:
        print("OK " + json.dumps(resp["result"]), flush=True)
'
API_PID= API_W= API_R=
vlab_connect() {  # start the helper on two fifos: requests in, answers out
  rm -f "$STAGE/api.in" "$STAGE/api.out"
  mkfifo "$STAGE/api.in" "$STAGE/api.out" || return 1
  python3 -c "$VLAB_PY" "$SWD_SOCK" <"$STAGE/api.in" >"$STAGE/api.out" 2>>"$STAGE/vlab-api.err" &
  API_PID=$!; PIDS+=("$!")
  exec {API_W}>"$STAGE/api.in" {API_R}<"$STAGE/api.out"
  FDS+=("$API_W" "$API_R")
  vlab_api version >/dev/null
}
vlab_disconnect() {
  [ -n "$API_PID" ] || return 0
  local f out=()
  eval "exec $API_W>&- $API_R<&-"
  for f in "${FDS[@]}"; do [ "$f" = "$API_W" ] || [ "$f" = "$API_R" ] || out+=("$f"); done
  FDS=("${out[@]}")
  kill_pid "$API_PID" 2; forget_pid "$API_PID"; API_PID= API_W= API_R=
}
vlab_api() {
  local line
  [ -n "$API_PID" ] && kill -0 "$API_PID" 2>/dev/null || {
    log "vlab: API helper not running: $(tail -1 "$STAGE/vlab-api.err" 2>/dev/null)"; return 1; }
  echo "$1 ${2:-}" >&"$API_W" || return 1
  IFS= read -r -t 15 line <&"$API_R" || { log "vlab: no answer to $1"; return 1; }
  case "$line" in
    "OK "*) echo "${line#OK }" ;;
    *) log "vlab: $1: ${line#ERR }"; return 1 ;;
  esac
}
vlab_rx() { vlab_api rx; }   # "TIME RX_p0 RX_p1" from the switch port counters
vlab_macs() {    # FDB entries (the FDB holds only the bench network)
  vlab_api stats | python3 -c 'import json, sys
print(json.load(sys.stdin).get("fdb", {}).get("entries", 0))'
}

run_vlab() {
  local dir="$TMP/r$round/f$FS/c" c0 c1 s0 s1 d0 d1 st i
  if [ ! -x "$SWITCHD" ]; then
    log "vlab: $SWITCHD not built yet; skipping (c)"
    RES[c.err]="not built"
    return 2
  fi
  mkdir -p "$dir"; STAGE=$dir
  SWD_SOCK="$dir/switch.sock"
  [ "$VVX" = 1 ] && [ "$FS" != loop ] && GEN_A_SUFFIX=-vx
  gen_start "$dir" || { GEN_A_SUFFIX=; return 1; }
  GEN_A_SUFFIX=
  local ml=()
  # room for the 2N MACs of the flow set (N per port; the default limit is 4096)
  [ "$FS" = loop ] || ml=(--mac-limit "$MAC_CAP")
  "$SWITCHD" --socket "$SWD_SOCK" --state "$dir/state.json" \
    --pmd-cores "$DUT_CPU" --ctl-core "$GEN_CPU" --busy-poll "${ml[@]}" >"$dir/switchd.log" 2>&1 &
  SWD_PID=$!; PIDS+=("$!")
  for ((i = 0; i < 300; i++)); do
    [ -S "$SWD_SOCK" ] && break
    kill -0 "$SWD_PID" 2>/dev/null || break
    sleep 0.1
  done
  for ((i = 0; i < 20; i++)); do
    vlab_connect >/dev/null 2>&1 && break
    vlab_disconnect
    kill -0 "$SWD_PID" 2>/dev/null || break
    sleep 0.5
  done
  [ -n "$API_PID" ] || { log "vlab: vlab-switchd did not start; see log:"; tail -20 "$dir/switchd.log" >&2; return 1; }
  vlab_api network.add '{"name": "bench", "vni": 1}' >/dev/null || return 1
  local net0=bench
  if [ "$VVX" = 1 ]; then
    vlab_api network.add '{"name": "ul", "vni": 2}' >/dev/null || return 1
    net0=ul
  fi
  vlab_api port.add "{\"name\": \"p0\", \"type\": \"vhost-user\", \"network\": \"$net0\", \"path\": \"$dir/sock0\", \"mode\": \"client\"}" >/dev/null || return 1
  vlab_api port.add "{\"name\": \"p1\", \"type\": \"vhost-user\", \"network\": \"bench\", \"path\": \"$dir/sock1\", \"mode\": \"client\"}" >/dev/null || return 1
  if [ "$VVX" = 1 ]; then  # addresses and MACs of mkflows.py --vxlan
    vlab_api underlay.set '{"port": "p0", "address": "10.255.0.1/24", "mac": "02:00:00:00:00:53"}' >/dev/null || return 1
    vlab_api vtep.add '{"network": "bench", "remote": "10.255.0.2"}' >/dev/null || return 1
  fi
  gen_ready || return 1
  for ((i = 0; i < 100; i++)); do
    [ "$(vlab_api port.list | grep -o '"link": *"connected"' | wc -l)" -ge 2 ] && break
    sleep 0.2
  done
  gen_traffic || return 1
  sleep "$WARMUP"
  wait_learned c vlab
  # the VTEP's next hop comes from the ARP reply at the head of file A
  [ "$VVX" = 1 ] && log "vlab: VXLAN: $(vlab_api vtep.list | head -c 300)"
  vlab_capture_on "$dir" || return 1
  vlab_policy_on "$dir" || return 1
  vlab_api stats.clear >/dev/null || return 1
  d0=$(vlab_rx) || return 1
  c0=$(win_sample "$SWD_PID")
  s0=$(gen_rx) || return 1
  sleep "$DURATION"
  s1=$(gen_rx) || return 1
  c1=$(win_sample "$SWD_PID")
  win_shares c "$c0" "$c1"
  d1=$(vlab_rx) || return 1
  st=$(vlab_api stats) || return 1
  echo "$st" >"$dir/stats.json"
  RES[c.mpps]=$(mpps_from "$s0" "$s1")
  RES[c.offered]=$(offered_from "$s0" "$s1")
  RES[c.dut_mpps]=$(mpps_from "$d0" "$d1")
  # the MACs learned (the FDB holds only this network), taken while traffic flows
  RES[c.macs]=$(python3 -c '
import json, sys
print(json.loads(sys.argv[1]).get("fdb", {}).get("entries", "null"))' "$st")
  RES[c.cpp]=$(python3 -c '
import json, sys
st = json.loads(sys.argv[1]); core = int(sys.argv[2])
pm = [p for p in st.get("pmds", []) if p.get("lcore") == core] or st.get("pmds", [])
busy = sum(p["busy_cycles"] for p in pm); pk = sum(p["packets"] for p in pm)
print("%.2f" % (busy / pk) if pk else "null")' "$st" "$DUT_CPU")
  RES[c.busy]=$(python3 -c '
import json, sys
st = json.loads(sys.argv[1]); core = int(sys.argv[2])
pm = [p for p in st.get("pmds", []) if p.get("lcore") == core] or st.get("pmds", [])
b = sum(p["busy_cycles"] for p in pm); t = b + sum(p["idle_cycles"] for p in pm)
print("%.3f" % (b / t) if t else "null")' "$st" "$DUT_CPU")
  vlab_capture_off "$dir"
  vlab_policy_off "$dir" || return 1
  tp_cmd gen "stop" 'testpmd> ' 10
  vlab_disconnect
  kill_pid "$SWD_PID" 10; forget_pid "$SWD_PID"; SWD_PID=
  tp_stop gen
}

# ------------------------------------------------------------------- main --
# The pcap files of every flow set of N pairs, written once for the run.
FLOW_DIR=$TMP/flows
declare -A FLOW_FRAMES
mkdir -p "$FLOW_DIR"
for FS in "${FLOWSETS[@]}"; do
  [ "$FS" = loop ] && continue
  _vx=(); [ "$VVX" = 1 ] && _vx=(--vxlan)
  FLOW_FRAMES[$FS]=$(python3 "$ROOT/tests/bench/mkflows.py" "${_vx[@]}" "$FS" "$FLOW_DIR") &&
    [ -n "${FLOW_FRAMES[$FS]}" ] || { log "cannot write the pcap files of $FS MAC pairs"; exit 1; }
done

fs_label() {
  if [ "$FS" = loop ]; then echo "macswap loop"; elif [ "$FS" = 1 ]; then echo "1 MAC pair"; else echo "$FS MAC pairs"; fi
}

# One line per measurement (flow set, device, round) in RESULTS, tab-separated:
# set dev round status mpps dut_mpps cpp busy cpu gcpu dcpu0 other0 other1 offered macs error
# status: ok, failed, skipped, macs (measured, but fewer MACs learned than sent).
RESULTS=$TMP/results.tsv
: >"$RESULTS"
FAILED=0
SKIP_C=
run_one() {      # run_one KEY LABEL FUNCTION ROUND (flow set in FS)
  local key=$1 label=$2 fn=$3 round=$4 rc f tag="" status want
  [ "$ROUNDS" -gt 1 ] && tag=", round $round/$ROUNDS"
  for f in mpps dut_mpps cpp busy cpu gcpu dcpu0 other0 other1 offered macs err; do unset "RES[$key.$f]"; done
  if [ "$key" = c ] && [ -n "$SKIP_C" ]; then
    rc=2; RES[c.err]=$SKIP_C
  else
    log "$label ($(fs_label)$tag): warm-up ${WARMUP}s, window ${DURATION}s"
    $fn; rc=$?
  fi
  if [ $rc -eq 1 ]; then
    FAILED=1
    RES[$key.err]=failed
    log "$label: FAILED (rerun with --keep to inspect the logs)"
  fi
  # whatever happened, nothing of this device may outlive its turn
  tp_stop dut; tp_stop gen
  vlab_disconnect
  [ -n "$SWD_PID" ] && { kill_pid "$SWD_PID" 5; forget_pid "$SWD_PID"; SWD_PID=; }
  ovs_stop
  case $rc in
    0) status=ok ;;
    2) status=skipped; [ "$key" = c ] && SKIP_C=${RES[c.err]:-skipped} ;;
    *) status=failed ;;
  esac
  if [ $rc -eq 0 ]; then
    log "$label: ${RES[$key.mpps]:-?} Mpps, ${RES[$key.cpp]:-?} cycles/pkt, CPU share: polling ${RES[$key.cpu]:-?}, generator ${RES[$key.gcpu]:-?}, other load ${RES[$key.other0]:-?}/${RES[$key.other1]:-?}$(
      [ "${RES[$key.macs]:-null}" = null ] || echo ", ${RES[$key.macs]} MACs learned")"
    # every device that learns must know all 2N MACs, or it did not see all flows
    if [ "$FS" != loop ] && [ "$key" != a ]; then
      want=$((2 * FS))
      case "${RES[$key.macs]:-null}" in ''|*[!0-9]*) RES[$key.macs]=null ;; esac
      if [ "${RES[$key.macs]}" = null ] || [ "${RES[$key.macs]}" -lt "$want" ]; then
        status=macs FAILED=1
        log "$label: ERROR: learned ${RES[$key.macs]} of the $want MACs sent: not all flows went through (setup error?)"
      fi
    fi
  fi
  { printf '%s\t' "$FS" "$key" "$round" "$status"
    for f in mpps dut_mpps cpp busy cpu gcpu dcpu0 other0 other1 offered macs; do
      printf '%s\t' "${RES[$key.$f]:-null}"; done
    printf '%s\n' "${RES[$key.err]:-}"; } >>"$RESULTS"
  return 0
}

for ((round = 1; round <= ROUNDS; round++)); do
  for FS in "${FLOWSETS[@]}"; do
    # OVS MAC table size and vlab per-port MAC limit for this set
    MAC_CAP=4096
    [ "$FS" != loop ] && [ $((2 * FS)) -gt $MAC_CAP ] && MAC_CAP=$((2 * FS))
    # the order of the devices rotates from round to round, so that a drift
    # of the machine during a round does not always favour the same device
    for ((k = 0; k < 3; k++)); do
      case $(( (k + round - 1) % 3 )) in
        0) [ "$RUN_A" = 1 ] && run_one a testpmd-io run_testpmd "$round" ;;
        1) [ "$RUN_B" = 1 ] && run_one b ovs-dpdk run_ovs "$round" ;;
        2) [ "$RUN_C" = 1 ] && run_one c vlab run_vlab "$round" ;;
      esac
    done
  done
done

python3 - "$JSON" "$DURATION" "$WARMUP" "$ROUNDS" "$RUN_A$RUN_B$RUN_C" \
  "$(IFS=,; echo "${FLOWSETS[*]}")" "$RESULTS" "$GEN_CPU" "$DUT_CPU" <<'EOF'
import json, statistics, sys
a = sys.argv[1:]
as_json, duration, warmup, rounds, sel = a[0] == "1", int(a[1]), int(a[2]), int(a[3]), a[4]
sets, path, GEN_CPU, DUT_CPU = a[5].split(","), a[6], int(a[7]), int(a[8])
DEVS = [("a", "testpmd-io"), ("b", "ovs-dpdk"), ("c", "vlab")]
FIGS = ["mpps", "dut_mpps", "cpp", "busy", "cpu", "gcpu", "dcpu0", "other0", "other1", "offered", "macs"]
OTHER = 0.1      # a round is undisturbed when other load took at most this share of each CPU

def num(w):
    try:
        return float(w)
    except ValueError:
        return None

recs = {}        # (set, dev) -> [record]
for line in open(path):
    f = line.rstrip("\n").split("\t")
    if len(f) < 5 + len(FIGS):
        continue
    r = {"round": int(f[2]), "status": f[3], "err": f[4 + len(FIGS)]}
    r.update({k: num(v) for k, v in zip(FIGS, f[4:4 + len(FIGS)])})
    recs.setdefault((f[0], f[1]), []).append(r)

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None

def undisturbed(r):
    return (r["other0"] is not None and r["other1"] is not None
            and r["other0"] <= OTHER and r["other1"] <= OTHER)

def clean(r):    # counts for the ratios: measured, every MAC learned, undisturbed
    return r["status"] == "ok" and undisturbed(r)

out_sets = []
for fs in sets:
    n = None if fs == "loop" else int(fs)
    rows, byround = [], {}
    for i, (k, name) in enumerate(DEVS):
        if sel[i] != "1":
            continue
        rs = recs.get((fs, k), [])
        done = [r for r in rs if r["status"] in ("ok", "macs")]
        fails = sum(r["status"] == "failed" for r in rs)
        skipped = [r for r in rs if r["status"] == "skipped"]
        short = [r for r in rs if r["status"] == "macs"]
        use = [r for r in done if undisturbed(r)] or done
        pick = lambda key: [r[key] for r in use]
        expected = 2 * n if n is not None and k != "a" else None
        macs = [r["macs"] for r in done if r["macs"] is not None]
        errors = []
        if skipped and not done:
            errors.append(skipped[0]["err"] or "skipped")
        if fails:
            errors.append("failed in %d of %d rounds" % (fails, rounds))
        if short:
            errors.append("learned only %d of %d MACs%s" % (
                min(r["macs"] or 0 for r in short), expected,
                "" if rounds == 1 else " in %d of %d rounds" % (len(short), rounds)))
        row = {"name": name, "mpps": med(pick("mpps")), "dut_mpps": med(pick("dut_mpps")),
               "cycles_per_packet": med(pick("cpp")), "busy_share": med(pick("busy")),
               "pmd_cpu_share": med(pick("cpu")),
               "generator_cpu_share": med(pick("gcpu")),
               "device_cpu0_share": med(pick("dcpu0")),
               "other_cpu0_share": med(pick("other0")), "other_cpu1_share": med(pick("other1")),
               "offered_mpps": med(pick("offered")),
               "macs_learned": int(min(macs)) if macs else None, "macs_expected": expected,
               "rounds_used": len(use), "rounds_measured": len(done),
               "rounds": {key: [r[kk] for r in done] for key, kk in
                          [("round", "round"), ("mpps", "mpps"), ("dut_mpps", "dut_mpps"),
                           ("cycles_per_packet", "cpp"), ("busy_share", "busy"),
                           ("pmd_cpu_share", "cpu"),
                           ("generator_cpu_share", "gcpu"), ("device_cpu0_share", "dcpu0"),
                           ("other_cpu0_share", "other0"), ("other_cpu1_share", "other1"),
                           ("offered_mpps", "offered"),
                           ("macs_learned", "macs")]},
               "error": "; ".join(errors) or None}
        rows.append(row)
        byround[name] = {r["round"]: r for r in rs}

    by = {r["name"]: r for r in rows}
    def ratio(x, y, fig):
        """Median of the per-round ratios over rounds where both devices were
        measured undisturbed (and learned every MAC): conditions drift between
        rounds, so pair within a round; when no round has both, the ratio of
        the medians the rows show (rounds with every MAC learned only)."""
        if x not in by or y not in by:
            return None
        rx, ry = byround[x], byround[y]
        pairs = [rx[k][fig] / ry[k][fig] for k in rx if k in ry and clean(rx[k]) and clean(ry[k])
                 and rx[k][fig] is not None and ry[k][fig]]
        if pairs:
            return statistics.median(pairs)
        def typical(rs):   # as in the rows: undisturbed rounds if any, else all
            ok = [r for r in rs.values() if r["status"] == "ok"]
            return med([r[fig] for r in ([r for r in ok if undisturbed(r)] or ok)])
        vx, vy = typical(rx), typical(ry)
        return vx / vy if vx is not None and vy else None
    if n is None:
        checks = [("vlab/ovs Mpps", "mpps", "ovs-dpdk", ">=", 1.0),
                  ("vlab/ovs cycles/pkt", "cpp", "ovs-dpdk", "<=", 0.75),
                  ("vlab/testpmd cycles/pkt", "cpp", "testpmd-io", "<=", 1.15)]
    else:
        checks = [("vlab/ovs cycles/pkt", "cpp", "ovs-dpdk", "<=", 0.75),
                  ("vlab/testpmd cycles/pkt", "cpp", "testpmd-io", "<=",
                   {1: 1.10, 65536: 1.30}.get(n)),
                  ("vlab/ovs Mpps", "mpps", "ovs-dpdk", ">=", None)]
    ratios = []
    for label, fig, other, op, target in checks:
        v = ratio("vlab", other, fig)
        ok = None if v is None or target is None else (v >= target if op == ">=" else v <= target)
        ratios.append({"name": label, "value": None if v is None else round(v, 3),
                       "target": None if target is None else "%s %g" % (op, target), "met": ok})
    out_sets.append({"flows": fs if n is None else n,
                     "generator": "macswap closed loop, tx_first 32, one MAC pair" if n is None else
                                  "pcap replay, io forwarding, open loop, %d MAC pair%s both ways" % (
                                      n, "" if n == 1 else "s"),
                     "macs_expected": None if n is None else 2 * n,
                     "results": rows, "ratios": ratios})

checked = [(s["flows"], r) for s in out_sets for r in s["ratios"] if r["target"]]
met = sum(1 for _, r in checked if r["met"])
if as_json:
    print(json.dumps({"duration_s": duration, "warmup_s": warmup, "rounds": rounds,
                      "frame_bytes": 64, "flow_sets": out_sets,
                      "targets": {"checked": len(checked), "met": met,
                                  "unknown": sum(1 for _, r in checked if r["met"] is None)}},
                     indent=2))
    sys.exit(0)

f = lambda v, fmt: "-" if v is None else fmt % v
pct = lambda v: "-" if v is None else "%.0f%%" % (100 * v)
print()
print("vhost-user forwarding, 64-byte frames, %d s window after %d s warm-up%s" % (
    duration, warmup, ", median of %d rounds (undisturbed ones if any)" % rounds if rounds > 1 else ""))
disturbed = False
for s in out_sets:
    print()
    if s["flows"] == "loop":
        print("loop: macswap closed loop, one MAC pair (start tx_first 32)")
    else:
        n = s["flows"]
        print("N = {:,} MAC pair{} (A_i <-> B_i both ways, {:,} MACs), pcap replay, open loop".format(
            n, "" if n == 1 else "s", 2 * n))
    print("%-12s %8s %9s %11s %8s %8s %15s  %s" % ("device", "Mpps", "dut Mpps", "cycles/pkt",
                                                 "pmd cpu", "gen cpu", "MACs", ""))
    for r in s["results"]:
        notes = [r["error"]] if r["error"] else []
        o = [v for v in (r["other_cpu0_share"], r["other_cpu1_share"]) if v is not None]
        if o and max(o) > OTHER:
            disturbed = True
            notes.append("disturbed (other load %s/%s of CPU %d/%d)" % (
                pct(r["other_cpu0_share"]), pct(r["other_cpu1_share"]), GEN_CPU, DUT_CPU))
        elif rounds > 1 and r["rounds_used"] < r["rounds_measured"]:
            notes.append("%d of %d rounds undisturbed" % (r["rounds_used"], r["rounds_measured"]))
        if (r["device_cpu0_share"] or 0) > OTHER:
            notes.append("device used %s of CPU %d" % (pct(r["device_cpu0_share"]), GEN_CPU))
        note = "; ".join(notes)
        macs = "-"
        if r["macs_learned"] is not None:
            macs = "%d" % r["macs_learned"] if r["macs_expected"] is None else \
                   "%d/%d" % (r["macs_learned"], r["macs_expected"])
        print("%-12s %8s %9s %11s %8s %8s %15s  %s" % (r["name"], f(r["mpps"], "%.2f"),
              f(r["dut_mpps"], "%.2f"), f(r["cycles_per_packet"], "%.1f"), pct(r["pmd_cpu_share"]),
              pct(r["generator_cpu_share"]), macs, note))
    for r in s["ratios"]:
        if r["target"]:
            verdict = "target %-7s %s" % (r["target"], "n/a" if r["met"] is None else
                                          ("met" if r["met"] else "NOT met"))
        else:
            verdict = "(reported)"
        print("  %-24s %7s   %s" % (r["name"], f(r["value"], "%.3f"), verdict))
print()
if disturbed:
    print("disturbed: processes other than the generator and the device took over 10% of")
    print("           CPU %d or CPU %d in the window: figures skewed; rerun on an idle machine" % (
        GEN_CPU, DUT_CPU))
unknown = sum(1 for _, r in checked if r["met"] is None)
print("targets: %d of %d met%s%s" % (met, len(checked),
      " (%d not measured)" % unknown if unknown else "", "".join(
      "; NOT met: %s at %s" % (r["name"], fl) if r["met"] is False else "" for fl, r in checked)))
EOF

exit $FAILED
