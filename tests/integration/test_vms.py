#!/usr/bin/env python3
"""Real QEMU guests (TCG when there is no KVM) on vlab-switchd, driven by the
`vlab vm` commands: a1 and a2 on network lan1 ping each other through the
guest agent (a2 with two vCPUs and two virtio queue pairs, both enabled); b1 on lan2 (same subnet on purpose) reaches neither; namespace
host h1 on lan1 reaches both guests; `link down` on a2 stops traffic and
`link up` restores it; `vm status -j` reports them; destroying every node
leaves no QEMU process, socket, namespace, veth or switch port behind."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

LAB = PREFIX.replace('_', '-')[:20]


def vlab(env, *args, check=True, timeout=180):
    p = subprocess.run([cli_path()] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=timeout)
    if check and p.returncode != 0:
        fail('vlab %s failed (rc=%d)\nstdout: %s\nstderr: %s'
             % (' '.join(args), p.returncode, p.stdout, p.stderr))
    return p


def ping(env, node, addr, count=2):
    p = vlab(env, 'vm', 'exec', node, '--lab', LAB, '--', 'ping', '-c', str(count),
             '-W', '2', addr, check=False, timeout=60)
    return p.returncode == 0


def leftovers(rundir, env):
    found = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if rundir in cmd and 'qemu' in cmd:
            found.append('process %s: %s' % (pid, cmd[:120]))
    if os.path.exists(os.path.join(rundir, 'labs', LAB)):
        for root, dirs, files in os.walk(os.path.join(rundir, 'labs', LAB)):
            found += [os.path.join(root, f) for f in files]
        found.append('directory of lab %s' % LAB)
    ns = sh(['ip', 'netns', 'list'], check=False).stdout
    found += ['netns ' + l.split()[0] for l in ns.splitlines() if ('vlab-' + LAB) in l]
    links = sh(['ip', '-o', 'link', 'show'], check=False).stdout
    found += ['link ' + l.split(':')[1].strip() for l in links.splitlines()
              if 'vlab-nsh:vlab-' + LAB in l]
    return found


def main():
    require(switch=True, netns=True, hugepages_mb=64)
    for prog in ('qemu-system-x86_64',):
        if not shutil.which(prog):
            fail('prerequisite: %s not found (run scripts/setup.sh)' % prog)
    tmp = tmpdir()
    rundir = os.path.join(tmp, 'run')
    sw = register_switch(Switch(tmp)).start()
    env = dict(os.environ, VLAB_SWITCH_SOCKET=sw.sock, VLAB_RUN_DIR=rundir)
    on_cleanup(lambda: vlab(env, 'vm', 'destroy', '--all', '--lab', LAB, check=False),
               name='destroy lab')
    sw.network_add('lan1', 10)
    sw.network_add('lan2', 20)

    # the three guests start in parallel
    t0 = time.monotonic()
    procs = {}
    # a2: two vCPUs and two virtio queue pairs, which its driver enables
    for name, net, ip, extra in (('a1', 'lan1', '10.77.0.1/24', ''),
                                 ('a2', 'lan1', '10.77.0.2/24', ',queues=2'),
                                 ('b1', 'lan2', '10.77.0.3/24', '')):
        procs[name] = subprocess.Popen(
            [cli_path(), 'vm', 'start', name, '--lab', LAB, '--nic',
             'network=%s,ip=%s%s' % (net, ip, extra), '--timeout', '150'] +
            (['--cpus', '2'] if extra else []),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for name, p in procs.items():
        out, err = p.communicate(timeout=240)
        if p.returncode != 0:
            fail('vlab vm start %s failed (rc=%d): %s %s' % (name, p.returncode, out, err))
        log('%s: %s' % (name, out.strip()))
    log('3 guests ready in %.1f s' % (time.monotonic() - t0))
    vlab(env, 'vm', 'start', 'h1', '--lab', LAB, '--kind', 'host', '--nic',
         'network=lan1,ip=10.77.0.4/24')

    st = json.loads(vlab(env, '-j', 'vm', 'status', '--lab', LAB).stdout)
    byname = {s['name']: s for s in st}
    check_eq('nodes in status', ['a1', 'a2', 'b1', 'h1'], sorted(byname))
    for n in ('a1', 'a2', 'b1'):
        check_eq('%s state' % n, 'running', byname[n]['state'])
        check(byname[n]['agent'], '%s: guest agent not ready' % n)
    check_eq('h1 state', 'running', byname['h1']['state'])
    ports = sw.ports()
    for n in ('a1-eth0', 'a2-eth0', 'b1-eth0', 'h1-eth0'):
        check(n in ports, 'switch port %s missing: %s' % (n, sorted(ports)))
    sw.wait_link(['a1-eth0', 'a2-eth0', 'b1-eth0', 'h1-eth0'], 30)
    check(wait_until(lambda: sw.ports()['a2-eth0'].get('queues') == 2, 30),
          'a2 (2 vCPUs, queues=2) did not enable two queue pairs: port a2-eth0 %r'
          % sw.ports()['a2-eth0'])
    check_eq('queue pairs of a1-eth0', 1, sw.ports()['a1-eth0'].get('queues'))

    check(ping(env, 'a1', '10.77.0.2'), 'a1 cannot ping a2 on lan1')
    check(ping(env, 'a2', '10.77.0.1'), 'a2 cannot ping a1 on lan1')
    check(ping(env, 'h1', '10.77.0.1'), 'namespace host h1 cannot ping a1')
    check(ping(env, 'h1', '10.77.0.2'), 'namespace host h1 cannot ping a2')
    b1_tx = sw.port_stats('b1-eth0')['tx_packets']
    check(not ping(env, 'a1', '10.77.0.3'), 'a1 reached b1 on the other network')
    check(not ping(env, 'b1', '10.77.0.1'), 'b1 reached a1 on the other network')
    check_eq('frames the switch sent to b1 while lan1 pinged it', b1_tx,
             sw.port_stats('b1-eth0')['tx_packets'])

    # exec reports the command's exit status and output
    p = vlab(env, 'vm', 'exec', 'a1', '--lab', LAB, '--', 'sh', '-c', 'echo hi; exit 3',
             check=False)
    check_eq('exec exit status', 3, p.returncode)
    check_eq('exec stdout', 'hi\n', p.stdout)

    vlab(env, 'vm', 'link', 'a2', 'eth0', 'down', '--lab', LAB)
    check(not ping(env, 'a1', '10.77.0.2'), 'a1 still reaches a2 with a2 link down')
    vlab(env, 'vm', 'link', 'a2', 'eth0', 'up', '--lab', LAB)
    check(wait_until(lambda: ping(env, 'a1', '10.77.0.2', 1), 20),
          'a1 does not reach a2 after link up')

    # graceful stop: the guest powers itself off long before the kill timeout
    t0 = time.monotonic()
    vlab(env, 'vm', 'stop', 'a2', '--lab', LAB, '--timeout', '20')
    check(time.monotonic() - t0 < 15, 'vm stop took %.1f s: the guest did not power off'
          % (time.monotonic() - t0))
    st = json.loads(vlab(env, '-j', 'vm', 'status', 'a2', '--lab', LAB).stdout)
    check_eq('a2 state after stop', 'stopped', st[0]['state'])

    vlab(env, 'vm', 'destroy', '--all', '--lab', LAB)
    left = leftovers(rundir, env)
    check(not left, 'destroy left things behind: %s' % left)
    check_eq('switch ports after destroy', [], sorted(sw.ports()))

    # crash mid-way: `vlab vm start` and the switch both killed while a guest
    # and a host are being made; destroy still removes everything
    vlab(env, 'vm', 'start', 'h2', '--lab', LAB, '--kind', 'host', '--nic',
         'network=lan1,ip=10.77.0.5/24')
    p = subprocess.Popen([cli_path(), 'vm', 'start', 'c1', '--lab', LAB, '--nic',
                          'network=lan1,ip=10.77.0.6/24'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    check(wait_until(lambda: any('c1' in l for l in leftovers(rundir, env)
                                 if l.startswith('process')), 60),
          'QEMU of c1 never started')
    p.kill()
    p.wait()
    sw.kill9()
    vlab(env, 'vm', 'destroy', '--all', '--lab', LAB, check=False)
    left = leftovers(rundir, env)
    check(not left, 'destroy after a crash left things behind: %s' % left)


if __name__ == '__main__':
    run(main)
