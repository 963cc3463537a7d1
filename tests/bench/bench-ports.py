#!/usr/bin/env python3
"""bench-ports.py - how long a switch takes to get many ports, and what they
cost it (run by hand, as root: `make bench-ports`).

Starts a private vlab-switchd (its own socket, state file and DPDK memory),
adds N ports (default 1,000: half vhost-user in server mode, half af-packet
on veth pairs whose other ends sit in one namespace the script makes), and
reports:
  - the time to add them, per type (ms per port) and in all,
  - the switch's memory before and after (RSS, which includes the mapped
    receive rings of af-packet ports, and its DPDK heap in hugepages), from
    the `stats` method's `memory` block,
  - the CPU the idle switch uses with all those ports (it backs off),
  - the time to remove them.
Everything it makes (switch, namespace, veths, sockets) is removed on exit,
also on failure or Ctrl-C. Options: --ports N, --vhost-share F (default 0.5),
--build DIR, -j (JSON)."""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
import vlabtest as vt  # noqa: E402


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def run(args):
    vt.VERBOSE = not args.json
    n_vhost = int(args.ports * args.vhost_share)
    n_afp = args.ports - n_vhost
    tmp = vt.tmpdir()
    ns = vt.Netns('bp')
    # veth pairs in one batch: outer ends here, inner ends in the namespace
    batch = ''.join('link add %sp%d type veth peer name e%d netns %s\n'
                    % (vt.PREFIX, i, i, ns.name) for i in range(n_afp))
    batch += ''.join('link set %sp%d up\n' % (vt.PREFIX, i) for i in range(n_afp))
    t0 = time.monotonic()
    vt.sh(['ip', '-batch', '-'], input=batch, timeout=600)
    vt.on_cleanup(lambda: vt.sh(['ip', 'netns', 'del', ns.name], check=False),
                  name='veths go with the namespace')
    vt.log('%d veth pairs made in %.1f s' % (n_afp, time.monotonic() - t0))

    sw = vt.register_switch(vt.Switch(tmp)).start()
    sw.network_add('b0', 10)
    sw.network_add('b1', 11)
    mem0 = sw.stats()['memory']
    res = {'ports': args.ports, 'vhost_user': n_vhost, 'af_packet': n_afp}

    t0 = time.monotonic()
    for i in range(n_vhost):
        sw.port_add('v%d' % i, 'vhost-user', 'b%d' % (i % 2),
                    path=os.path.join(tmp, 'v%d.sock' % i), mode='server')
    t1 = time.monotonic()
    for i in range(n_afp):
        sw.port_add('a%d' % i, 'af-packet', 'b%d' % (i % 2), iface='%sp%d' % (vt.PREFIX, i))
    t2 = time.monotonic()
    res['add_seconds'] = round(t2 - t0, 2)
    res['add_ms_vhost_user'] = round((t1 - t0) * 1000 / max(n_vhost, 1), 2)
    res['add_ms_af_packet'] = round((t2 - t1) * 1000 / max(n_afp, 1), 2)
    listed = len(sw.ports())
    if listed != args.ports:
        vt.fail('port.list lists %d ports, expected %d' % (listed, args.ports))
    mem1 = sw.stats()['memory']
    res['rss_mb_before'] = round(mem0['rss_bytes'] / 2**20, 1)
    res['rss_mb_after'] = round(mem1['rss_bytes'] / 2**20, 1)
    res['hugepage_heap_mb'] = round(mem1['hugepage_bytes'] / 2**20, 1)
    res['hugepage_used_mb_before'] = round(mem0['hugepage_used_bytes'] / 2**20, 1)
    res['hugepage_used_mb_after'] = round(mem1['hugepage_used_bytes'] / 2**20, 1)

    c0, w0 = cpu_seconds(sw.proc.pid), time.monotonic()
    time.sleep(5)
    res['idle_cpu_percent'] = round(100 * (cpu_seconds(sw.proc.pid) - c0) /
                                    (time.monotonic() - w0), 1)

    t0 = time.monotonic()
    for i in range(n_vhost):
        sw.port_del('v%d' % i)
    for i in range(n_afp):
        sw.port_del('a%d' % i)
    res['del_seconds'] = round(time.monotonic() - t0, 2)
    sw.stop_checked()

    if args.json:
        print(json.dumps(res))
    else:
        print('ports: %d (%d vhost-user, %d af-packet)' % (args.ports, n_vhost, n_afp))
        print('add: %.2f s in all; %.2f ms per vhost-user port, %.2f ms per af-packet port'
              % (res['add_seconds'], res['add_ms_vhost_user'], res['add_ms_af_packet']))
        print('switch RSS: %.1f MB -> %.1f MB; DPDK heap: %.1f MB of hugepages, used %.1f MB '
              '-> %.1f MB' % (res['rss_mb_before'], res['rss_mb_after'],
                              res['hugepage_heap_mb'], res['hugepage_used_mb_before'],
                              res['hugepage_used_mb_after']))
        print('idle with all ports: %.1f%% of a CPU' % res['idle_cpu_percent'])
        print('remove all: %.2f s' % res['del_seconds'])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ports', type=int, default=1000)
    ap.add_argument('--vhost-share', type=float, default=0.5)
    ap.add_argument('--build', help='meson build directory (default: build)')
    ap.add_argument('-j', '--json', action='store_true')
    args = ap.parse_args()
    if args.ports < 1 or args.ports > 4096 or not 0 <= args.vhost_share <= 1:
        ap.error('--ports must be 1..4096 and --vhost-share 0..1')
    if args.ports * args.vhost_share > 1000:
        ap.error('a switch holds at most 1,000 vhost-user ports')
    if args.build:
        os.environ['VLAB_BUILD'] = os.path.abspath(args.build)
    vt.run(lambda: (vt.require(switch=True, netns=True, hugepages_mb=128), run(args)))


if __name__ == '__main__':
    main()
