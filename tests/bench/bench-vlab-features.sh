# bench-vlab-features.sh - sourced by bench-switch.sh: the vlab features a
# run switches on during vlab's window (--vlab-capture, --vlab-policy), and
# what they report after it. Uses bench-switch.sh's vlab_api, log, GEN_CPU,
# VLAB_CLI and SWD_SOCK.

# --vlab-capture: a capture client (on the generator's CPU, like the
# control thread) or the recorder, on for vlab's window
VCAP_PID=
vlab_capture_on() {
  local i
  case "$VCAP" in
    off) return 0 ;;
    record) vlab_api network.record '{"name": "bench", "packets": 10000}' >/dev/null; return ;;
    all) taskset -c "$GEN_CPU" "$VLAB_CLI" -s "$SWD_SOCK" capture bench -q -w /dev/null \
           2>"$1/capture.err" & ;;
    nomatch) taskset -c "$GEN_CPU" "$VLAB_CLI" -s "$SWD_SOCK" capture bench -q -w /dev/null \
           -f 'ip6 and udp port 4789' 2>"$1/capture.err" & ;;
  esac
  VCAP_PID=$!; PIDS+=("$VCAP_PID")
  for ((i = 0; i < 100; i++)); do
    vlab_api capture.list | grep -q '"id"' && return 0
    sleep 0.1
  done
  log "vlab: the capture did not start: $(cat "$1/capture.err")"
  return 1
}
vlab_capture_off() {
  [ "$VCAP" = off ] && return 0
  # what the window captured, filtered out and lost (counted by the switch)
  vlab_api capture.list >"$1/capture.json" 2>/dev/null &&
    python3 -c 'import json, sys
for c in json.load(open(sys.argv[1]))["captures"]:
    print("bench: vlab %s %d: %d captured, %d filtered out, %d lost, %d kept" % (
        c["kind"], c["id"], c["captured"], c["filtered"], c["lost"], c["kept"]))' \
      "$1/capture.json" >&2
  [ -n "$VCAP_PID" ] || return 0
  kill -INT "$VCAP_PID" 2>/dev/null; wait "$VCAP_PID" 2>/dev/null
  forget_pid "$VCAP_PID"; VCAP_PID=
  cat "$1/capture.err" >&2
}

# --vlab-policy: a policy on the bench network, frames entering the switch
# from its ports. N rules: N-1 that the traffic (UDP 1024 <-> 5001 between
# 10.0.0.0/9 and 10.128.0.0/9) never matches, half TCP port rules, half
# prefix rules (hosts of 192.168.0.0/16), then one that allows it; stateful:
# A->B opens a connection per flow, B->A passes as its replies.
vlab_policy_on() {
  [ "$VPOL" = off ] && return 0
  python3 - "$VPOL" >"$1/policy.json" <<'PY' || return 1
import json, sys
mode = sys.argv[1]
if mode == "stateful":
    rules = [{"action": "allow", "ethertype": "arp"},
             {"action": "allow", "proto": "udp", "dport": 5001, "stateful": True}]
else:
    n = int(mode)
    rules = []
    for i in range(n - 1):
        if i % 2:
            rules.append({"action": "drop", "proto": "tcp", "dport": 1 + i // 2})
        else:
            rules.append({"action": "drop", "src": "192.168.%d.%d" % (i // 2 // 256 % 256,
                                                                  i // 2 % 256)})
    rules.append({"action": "allow", "proto": "udp"})
print(json.dumps({"name": "bench", "default": "drop", "rules": rules,
                  "apply": [{"network": "bench", "direction": "in"}]}))
PY
  vlab_api policy.set "$(cat "$1/policy.json")" >"$1/policy-set.json" || return 1
  echo "bench: vlab policy '$VPOL' on: $(cat "$1/policy-set.json" | head -c 200)" >&2
}
vlab_policy_off() {
  [ "$VPOL" = off ] && return 0
  vlab_api policy.list >"$1/policy-list.json" || return 1
  python3 - "$1/policy-list.json" >&2 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["policies"][0]
hit = [x["packets"] for x in p["rules"]]
print("bench: vlab policy: %d rules, the allowing rule %d hits, others %d, default %d, "
      "related %d; connection table %d used, %d evicted, %d lost" % (
          len(hit), hit[-1], sum(hit[:-1]), p["default_hits"]["packets"],
          p["related_hits"]["packets"], r["conntrack"]["used"], r["conntrack"]["evicted"],
          r["conntrack"]["lost"]))
PY
  vlab_api policy.del '{"name": "bench"}' >/dev/null
}
