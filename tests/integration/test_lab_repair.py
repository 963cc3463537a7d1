#!/usr/bin/env python3
"""End to end: `vlab up` plans against what runs, not against the file it
ran last. Two switch ports of a running lab (a guest's and a namespace
host's) are deleted behind vlab's back: the next `vlab up` puts them back
without restarting any node, and pingall matches again. Then a second lab
asks for a VNI the first lab's network uses: its `vlab up` fails with an
error that names the other lab, its network and the fix, the first lab keeps
running untouched, and the rest of the second lab comes up; once the first
lab is down, `vlab up` of the second lab repairs it (creates the network,
starts the nodes that could not start) instead of saying there is nothing
to do."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

vlab = lab_vlab
switch_pid = lab_switch_pid

PID = os.getpid() % 10000
LAB1 = 'rp%d' % PID
LAB2 = 'rq%d' % PID
VNI = 5100 + PID % 1000

TOPO1 = """# repair test, lab 1: a guest and two hosts on red
name: %(lab1)s
networks:
  red: { vni: %(vni)d, subnet: 10.86.0.0/24 }
nodes:
  g1: { kind: vm, interfaces: [ { network: red } ] }
  h1: { kind: host, interfaces: [ { network: red } ] }
  h2: { kind: host, interfaces: [ { network: red } ] }
"""

TOPO2 = """# repair test, lab 2: red takes the VNI of lab 1's red
name: %(lab2)s
networks:
  red:  { vni: %(vni)d, subnet: 10.87.0.0/24 }
  blue: { vni: %(vni2)d, subnet: 10.88.0.0/24 }
nodes:
  a1: { kind: host, interfaces: [ { network: red } ] }
  a2: { kind: host, interfaces: [ { network: red } ] }
  b1: { kind: host, interfaces: [ { network: blue } ] }
  b2: { kind: host, interfaces: [ { network: blue } ] }
"""


def switch_list(env, what):
    return json.loads(vlab(env, '-j', 'switch', what, 'list').stdout)


def networks(env):
    return {n['name']: n['vni'] for n in switch_list(env, 'network')}


def ports(env):
    return {p['name']: p.get('network') for p in switch_list(env, 'port')}


def nodes(env, lab):
    st = json.loads(vlab(env, '-j', 'status', lab).stdout)
    check_eq('labs in status %s' % lab, 1, len(st))
    return {n['name']: n for n in st[0]['nodes']}


def pingall_ok(env, lab):
    p = vlab(env, '-j', 'pingall', lab, check=False, timeout=300)
    res = json.loads(p.stdout)
    bad = [c for c in res['pings'] if not c['match']]
    check(p.returncode == 0 and res['ok'] and not bad,
          'pingall of %s differs from the topology: %s' % (lab, bad))


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()
    env, rundir = lab_env(tmp)
    on_cleanup(lambda: vlab(env, 'down', LAB1, check=False), name='vlab down ' + LAB1)
    on_cleanup(lambda: vlab(env, 'down', LAB2, check=False), name='vlab down ' + LAB2)
    v = {'lab1': LAB1, 'lab2': LAB2, 'vni': VNI, 'vni2': VNI + 1}
    f1, f2 = os.path.join(tmp, 'lab1.yaml'), os.path.join(tmp, 'lab2.yaml')
    with open(f1, 'w') as f:
        f.write(TOPO1 % v)
    with open(f2, 'w') as f:
        f.write(TOPO2 % v)

    # ports deleted behind vlab's back: the next up puts them back
    vlab(env, 'up', f1)
    pingall_ok(env, LAB1)
    before = nodes(env, LAB1)
    gone = ['%s.g1-eth0' % LAB1, '%s.h1-eth0' % LAB1]
    for port in gone:
        vlab(env, 'switch', 'port', 'del', port)
    p = vlab(env, 'up', f1)
    check('nothing to do' not in p.stderr,
          'vlab up said there is nothing to do while ports %s are missing: %s'
          % (gone, p.stderr))
    have = ports(env)
    for port in gone:
        check_eq('network of the repaired port %s' % port, '%s.red' % LAB1, have.get(port))
    after = nodes(env, LAB1)
    for n in before:
        check_eq('%s creation time after the repair' % n, before[n]['created'],
                 after[n]['created'])
    check_eq('g1 QEMU pid after the repair', before['g1']['pid'], after['g1']['pid'])
    pingall_ok(env, LAB1)
    p = vlab(env, 'up', f1)
    check('nothing to do' in p.stderr, 'a repaired lab is not idempotent: %s' % p.stderr)

    # a VNI of another lab: an error naming it and the fix; the rest comes up
    p = vlab(env, 'up', f2, check=False)
    check(p.returncode != 0, 'vlab up of a lab whose VNI another lab uses succeeded')
    for want in ('network red of lab %s' % LAB2, 'VNI %d' % VNI, 'network %s.red' % LAB1,
                 'another vni', 'stop lab %s' % LAB1):
        check(want in p.stderr, 'the VNI clash error does not say "%s": %s' % (want, p.stderr))
    nets = networks(env)
    check_eq('VNI of %s.red after the clash' % LAB1, VNI, nets.get('%s.red' % LAB1))
    check('%s.red' % LAB2 not in nets, 'the clashing network was created: %s' % nets)
    check_eq('VNI of %s.blue' % LAB2, VNI + 1, nets.get('%s.blue' % LAB2))
    check_eq('lab 1 after the clash', before['h2']['created'],
             nodes(env, LAB1)['h2']['created'])
    pingall_ok(env, LAB1)
    st = nodes(env, LAB2)
    for n in ('b1', 'b2'):
        check_eq('state of %s, on the network that could be made' % n, 'running',
                 st.get(n, {}).get('state'))

    # once lab 1 is gone, the next up of lab 2 repairs it
    vlab(env, 'down', LAB1)
    p = vlab(env, 'up', f2)
    check('nothing to do' not in p.stderr,
          'vlab up said there is nothing to do while network red is missing: %s' % p.stderr)
    check_eq('VNI of %s.red after the repair' % LAB2, VNI, networks(env).get('%s.red' % LAB2))
    st = nodes(env, LAB2)
    check_eq('nodes of %s' % LAB2, ['a1', 'a2', 'b1', 'b2'], sorted(st))
    for n, x in st.items():
        check_eq('state of %s after the repair' % n, 'running', x['state'])
    pingall_ok(env, LAB2)
    p = vlab(env, 'up', f2)
    check('nothing to do' in p.stderr, 'a repaired lab is not idempotent: %s' % p.stderr)
    vlab(env, 'down', LAB2)
    check(not os.path.exists(os.path.join(rundir, 'switch.pid')),
          'the switch vlab started is still recorded after the last down')
    with open(env['VLAB_SWITCH_STATE']) as f:
        state = json.load(f)
    left = [x['name'] for x in state.get('networks', []) + state.get('ports', [])
            if x['name'].split('.')[0] in (LAB1, LAB2)]
    check(not left, 'the switch still keeps the labs after down: %s' % left)
    ns = sh(['ip', 'netns', 'list'], check=False).stdout
    left = [l.split()[0] for l in ns.splitlines() if LAB1 in l or LAB2 in l]
    check(not left, 'namespaces left after down: %s' % left)


if __name__ == '__main__':
    run(main)
