#!/usr/bin/env python3
"""End to end, as a user runs it: `vlab up` of a topology with three QEMU
guests and a namespace host on two networks (starting vlab-switchd itself),
`pingall` matches the topology, `apply` of an edit that adds a node and
removes another (pingall matches again, untouched nodes keep running: same
QEMU pid, same creation time), `up` again changes nothing, `down` leaves
nothing behind. On the way, `vlab capture g1:eth0` captures a guest's
vhost-user NIC (tshark reads the requests and replies of a ping run in the
guest, on interface g1:eth0), and `vlab capture red --recent` hands over
what the network's flight recorder (`record: 64` in the file) kept. Then a
crash: `vlab-switchd` and a QEMU killed with SIGKILL
in the middle of `vlab up`; `vlab down` still removes everything."""
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

LAB = 'e2e' + str(os.getpid() % 10000)

TOPO1 = """# e2e test lab: two networks on one subnet, isolated from each other
name: %(lab)s
networks:
  red:  { vni: %(v1)d, subnet: 10.81.0.0/24, record: 64 }
  blue: { vni: %(v2)d, subnet: 10.81.0.0/24 }
nodes:
  g1: { kind: vm, interfaces: [ { network: red, ip: 10.81.0.1/24 } ] }
  g2: { kind: vm, interfaces: [ { network: red, ip: 10.81.0.2/24 } ] }
  g3: { kind: vm, interfaces: [ { network: blue, ip: 10.81.0.3/24 } ] }
  h1: { kind: host, interfaces: [ { network: blue, ip: 10.81.0.4/24 } ] }
"""

TOPO2 = """# e2e test lab, edited: g3 removed, g4 added
name: %(lab)s
networks:
  red:  { vni: %(v1)d, subnet: 10.81.0.0/24 }
  blue: { vni: %(v2)d, subnet: 10.81.0.0/24 }
nodes:
  g1: { kind: vm, interfaces: [ { network: red, ip: 10.81.0.1/24 } ] }
  g2: { kind: vm, interfaces: [ { network: red, ip: 10.81.0.2/24 } ] }
  h1: { kind: host, interfaces: [ { network: blue, ip: 10.81.0.4/24 } ] }
  g4: { kind: vm, interfaces: [ { network: blue, ip: 10.81.0.5/24 } ] }
"""


def leftovers(rundir):
    found = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if rundir in cmd or (LAB in cmd and 'qemu' in cmd):
            found.append('process %s: %s' % (pid, cmd[:100]))
    labdir = os.path.join(rundir, 'labs', LAB)
    if os.path.exists(labdir):
        for root, dirs, files in os.walk(labdir):
            found += [os.path.join(root, f) for f in files]
        found.append('directory ' + labdir)
    ns = sh(['ip', 'netns', 'list'], check=False).stdout
    found += ['netns ' + l.split()[0] for l in ns.splitlines() if 'vlab-' + LAB in l]
    links = sh(['ip', '-o', 'link', 'show'], check=False).stdout
    found += ['link ' + l.split(':')[1].strip() for l in links.splitlines()
              if 'vlab-nsh:vlab-' + LAB in l]
    return found


def nodes(env):
    st = json.loads(vlab(env, '-j', 'status', LAB).stdout)
    check_eq('labs in status', 1, len(st))
    return {n['name']: n for n in st[0]['nodes']}


def pingall_ok(env):
    p = vlab(env, '-j', 'pingall', LAB, check=False, timeout=300)
    res = json.loads(p.stdout)
    bad = [c for c in res['pings'] if not c['match']]
    check(p.returncode == 0 and res['ok'] and not bad,
          'pingall differs from the topology: %s' % bad)
    return res


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()
    env, rundir = lab_env(tmp)
    on_cleanup(lambda: vlab(env, 'down', LAB, check=False), name='vlab down')
    v = {'lab': LAB, 'v1': 3100 + os.getpid() % 1000, 'v2': 4100 + os.getpid() % 1000}
    f1, f2 = os.path.join(tmp, 'lab1.yaml'), os.path.join(tmp, 'lab2.yaml')
    with open(f1, 'w') as f:
        f.write(TOPO1 % v)
    with open(f2, 'w') as f:
        f.write(TOPO2 % v)

    vlab(env, 'validate', f1)
    t0 = time.monotonic()
    vlab(env, 'up', f1)
    log('vlab up of 3 guests + 1 host: %.1f s' % (time.monotonic() - t0))
    check(switch_pid(rundir) > 0, 'vlab up did not start vlab-switchd')
    before = nodes(env)
    check_eq('nodes after up', ['g1', 'g2', 'g3', 'h1'], sorted(before))
    for n in ('g1', 'g2', 'g3'):
        check(before[n]['agent'], 'guest %s has no guest agent after up' % n)
    res = pingall_ok(env)
    check(any(c['reached'] for c in res['pings']) and
          any(not c['reached'] for c in res['pings']),
          'pingall should see both reachable and isolated pairs: %s' % res['pings'])

    # a guest's vhost-user NIC, captured by name; then the flight recorder
    cf = os.path.join(tmp, 'g1.pcapng')
    cap = subprocess.Popen([cli_path(), 'capture', 'g1:eth0', '-f', 'icmp', '-c', '4', '-w', cf],
                           stderr=subprocess.PIPE, env=env)
    on_cleanup(lambda: cap.poll() is None and cap.kill(), name='kill vlab capture')
    check(wait_until(lambda: cap.poll() is not None or json.loads(
        vlab(env, '-j', 'switch', 'raw', 'capture.list').stdout)['captures'], 30),
        'vlab capture g1:eth0 did not start')
    vlab(env, 'exec', '%s/g1' % LAB, '--', 'ping', '-c', '2', '-i', '0.3', '10.81.0.2')
    err = cap.communicate(timeout=60)[1].decode()
    check(cap.returncode == 0, 'vlab capture g1:eth0: %s' % err)
    rows = [l.split('|') for l in sh(['tshark', '-r', cf, '-T', 'fields', '-E', 'separator=|',
                                      '-e', 'frame.interface_name', '-e', 'icmp.type', '-e',
                                      'ip.src']).stdout.splitlines()]
    check_eq('frames of g1:eth0', 4, len(rows))
    check(all(r[0] == 'g1:eth0' for r in rows), 'interface names: %s' % rows)
    check_eq('requests from g1', 2, sum(r[1] == '8' and r[2] == '10.81.0.1' for r in rows))
    check_eq('replies to g1', 2, sum(r[1] == '0' and r[2] == '10.81.0.2' for r in rows))
    rf = os.path.join(tmp, 'red-recent.pcapng')
    vlab(env, 'capture', 'red', '--recent', '-w', rf)
    rows = sh(['tshark', '-r', rf, '-T', 'fields', '-e', 'frame.interface_name']).stdout.split()
    check(0 < len(rows) <= 64, 'the recorder of red kept %d frames' % len(rows))
    check(set(rows) <= {'g1:eth0', 'g2:eth0'}, 'recorder interfaces: %s' % set(rows))

    vlab(env, 'apply', f2)
    after = nodes(env)
    check_eq('nodes after apply', ['g1', 'g2', 'g4', 'h1'], sorted(after))
    for n in ('g1', 'g2', 'h1'):
        check_eq('%s creation time after apply' % n, before[n]['created'], after[n]['created'])
    for n in ('g1', 'g2'):
        check_eq('%s QEMU pid after apply' % n, before[n]['pid'], after[n]['pid'])
    pingall_ok(env)

    p = vlab(env, 'up', f2)
    check('nothing to do' in p.stderr, 'a second up was not idempotent: %s' % p.stderr)
    check_eq('g1 pid after a second up', before['g1']['pid'], nodes(env)['g1']['pid'])

    t0 = time.monotonic()
    vlab(env, 'down', LAB)
    log('vlab down: %.1f s' % (time.monotonic() - t0))
    left = leftovers(rundir)
    check(not left, 'down left things behind: %s' % left)
    check(not os.path.exists(os.path.join(rundir, 'switch.pid')),
          'the switch vlab started is still recorded after the last down')

    # crash in the middle of `vlab up`: the switch and a QEMU die
    up = subprocess.Popen([cli_path(), 'up', f1], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env)

    def a_qemu():
        for l in leftovers(rundir):
            if l.startswith('process') and 'qemu' in l:
                return int(l.split()[1].rstrip(':'))
        return 0
    check(wait_until(lambda: a_qemu() > 0, 120), 'no QEMU appeared during vlab up')
    os.kill(a_qemu(), signal.SIGKILL)
    lab_kill_switch(rundir)
    up.wait(timeout=300)
    check(up.returncode != 0, 'vlab up succeeded although its switch was killed')
    vlab(env, 'down', LAB, check=False)
    left = leftovers(rundir)
    check(not left, 'down after a crash left things behind: %s' % left)
    with open(env['VLAB_SWITCH_STATE']) as f:
        state = json.load(f)
    check(not [p for p in state.get('ports', []) if p['name'].startswith(LAB + '.')] and
          not [n for n in state.get('networks', []) if n['name'].startswith(LAB + '.')],
          'the switch still keeps the lab after down: %s' % state)


if __name__ == '__main__':
    run(main)
