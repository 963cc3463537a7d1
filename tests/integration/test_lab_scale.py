#!/usr/bin/env python3
"""End to end at lab scale: `vlab up` of 200 namespace hosts and 16 QEMU
guests on two networks (one switch, 216 ports: far beyond DPDK's 32 ethdev
slots) prints its progress and brings every node up; `vlab status` lists
them running with their switch ports connected; `pingall`, too wide for a
matrix, prints a summary in which every one of the 46,440 pairs matches the
topology; `vlab down` removes everything. Host-wide neighbour-table limits
that `vlab up` raises for so many hosts are put back afterwards."""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

LAB = 'big' + str(os.getpid() % 10000)
HOSTS_A, HOSTS_B, GUESTS = 150, 50, 16
NEIGH = ['/proc/sys/net/ipv%d/neigh/default/gc_thresh%d' % (v, t)
         for v in (4, 6) for t in (1, 2, 3)]


def topology():
    lines = ['name: %s' % LAB, 'networks:',
             '  a: { subnet: 10.84.0.0/16 }', '  b: { subnet: 10.85.0.0/16 }', 'nodes:']
    for i in range(HOSTS_A + HOSTS_B):
        lines.append('  h%d: { kind: host, interfaces: [ { network: %s } ] }'
                     % (i + 1, 'a' if i < HOSTS_A else 'b'))
    for i in range(GUESTS):
        lines.append('  g%d: { interfaces: [ { network: a } ] }' % (i + 1))
    return '\n'.join(lines) + '\n'


def vlab(env, *args, check=True, timeout=600):
    t0 = time.monotonic()
    p = subprocess.run([cli_path()] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=timeout)
    log('vlab %s: rc=%d in %.1f s' % (' '.join(args), p.returncode, time.monotonic() - t0))
    if check and p.returncode != 0:
        fail('vlab %s failed (rc=%d)\nstdout: %s\nstderr: %s'
             % (' '.join(args), p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


def main():
    require(switch=True, netns=True, hugepages_mb=256)
    tmp = tmpdir()
    rundir = os.path.join(tmp, 'run')
    env = dict(os.environ, VLAB_RUN_DIR=rundir, VLAB_SWITCHD=switchd_path(),
               VLAB_SWITCH_SOCKET=os.path.join(tmp, 'switch.sock'),
               VLAB_SWITCH_STATE=os.path.join(tmp, 'switch.json'))
    saved = {p: open(p).read() for p in NEIGH}
    on_cleanup(lambda: [open(p, 'w').write(v) for p, v in saved.items()],
               name='restore neighbour-table limits')
    on_cleanup(lambda: vlab(env, 'down', LAB, check=False), name='vlab down')
    path = os.path.join(tmp, 'big.yaml')
    with open(path, 'w') as f:
        f.write(topology())
    n = HOSTS_A + HOSTS_B + GUESTS

    up = vlab(env, 'up', path, timeout=900)
    progress = re.findall(r'lab %s: (\d+)/%d nodes up' % (LAB, n), up.stderr)
    check(progress, 'vlab up printed no progress lines:\n%s' % up.stderr[-2000:])
    check(len(up.stderr.splitlines()) < 100,
          'vlab up printed %d lines for %d nodes (expected a summary and periodic progress)'
          % (len(up.stderr.splitlines()), n))
    check('%d nodes up' % n in up.stdout, 'vlab up did not report %d nodes up:\n%s'
          % (n, up.stdout[-2000:]))

    st = json.loads(vlab(env, '-j', 'status', LAB).stdout)
    nodes = st[0]['nodes']
    check_eq('nodes in status', n, len(nodes))
    not_running = [x['name'] for x in nodes if x.get('state') != 'running']
    check(not not_running, 'nodes not running: %s' % not_running[:20])

    with Client(env['VLAB_SWITCH_SOCKET'], timeout=30) as c:
        ports = c.call('port.list')
    check_eq('switch ports', n, len(ports))
    waiting = [p['name'] for p in ports if p['link'] != 'connected']
    check(not waiting, 'switch ports not connected: %s' % waiting[:20])

    t0 = time.monotonic()
    p = vlab(env, 'pingall', LAB, check=False, timeout=1800)
    log('pingall of %d nodes: %.0f s' % (n, time.monotonic() - t0))
    pairs = n * (n - 1)
    # stderr says which sources could not run their probes (exec failed
    # or timed out), which the table of differing pairs cannot tell
    check(p.returncode == 0, 'pingall differs from the topology (rc=%d):\n%s\nstderr:\n%s'
          % (p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    check('%d pairs tried, %d matched, 0 differing' % (pairs, pairs) in p.stdout,
          'pingall summary missing or wrong:\n%s' % p.stdout[-2000:])

    vlab(env, 'down', LAB, timeout=600)
    check(not os.path.exists(os.path.join(rundir, 'labs', LAB)),
          'vlab down left the lab directory')
    left = [l for l in sh(['ip', 'netns', 'list'], check=False).stdout.splitlines()
            if LAB in l]
    check(not left, 'vlab down left namespaces: %s' % left[:10])


if __name__ == '__main__':
    run(main)
