#!/usr/bin/env python3
"""Packet capture in the switch: `vlab capture` against a real vlab-switchd,
read back with tshark.

Hosts in namespaces on two networks ping each other while captures run:
- a capture of one port holds exactly the ICMP echo requests and replies of
  the pings, with the right addresses, the port's interface name and each
  packet's direction (requests entering the switch, replies leaving it);
- a filter keeps only echo replies, and the switch counts what it left out;
- two captures at once on different networks each see only their own;
- two ports in one capture come out merged in time order, each request
  before its copy on the other port;
- pcapng into a pipe read by `tshark -r -`, classic pcap with -w;
- Ctrl-C ends a capture with a whole file and its summary, and so does a
  reader of its output that goes away;
- killing the client with SIGKILL turns its taps off (capture.list empty),
  also while a flood fills the stream it stopped reading (lost is counted);
- a network's flight recorder hands over its last packets after the traffic
  stopped, and goes on recording; switched off, or its network deleted, it
  is gone;
- Wireshark's extcap: `tshark -D` lists the switch's ports and `tshark -i
  vlab:PORT -f icmp` captures from one (scripts/setup.sh installs the
  extcap program);
- bad filters and targets are refused with messages naming them."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vlabtest import *  # noqa: E402,F403

EXTCAP = '/usr/lib/x86_64-linux-gnu/wireshark/extcap/vlab'


def tshark_fields(path, *fields, filt=None):
    args = ['tshark', '-r', path, '-T', 'fields', '-E', 'separator=|']
    if filt:
        args += ['-Y', filt]
    for f in fields:
        args += ['-e', f]
    p = sh(args, check=False)
    check(p.returncode == 0, 'tshark -r %s failed: %s' % (path, p.stderr))
    return [l.split('|') for l in p.stdout.splitlines() if l]


def capture(sw, *args, env=None):
    """Starts `vlab capture ARGS`; returns the process once its taps are on."""
    before = {c['id'] for c in sw.call_ok('capture.list')['captures']}
    p = subprocess.Popen([cli_path(), '-s', sw.sock, 'capture'] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    on_cleanup(lambda p=p: p.poll() is None and p.kill(), name='kill vlab capture')
    ok = wait_until(lambda: p.poll() is not None or
                    {c['id'] for c in sw.call_ok('capture.list')['captures']} - before, 10)
    check(ok and p.poll() is None, 'vlab capture %s did not start: %s'
          % (' '.join(args), p.poll() is not None and p.communicate()[1].decode()))
    return p


def finish(p, what, timeout=20):
    out, err = p.communicate(timeout=timeout)
    check(p.returncode == 0, '%s exited %s: %s' % (what, p.returncode, err.decode()))
    return out, err.decode()


def main():
    require(switch=True, netns=True, hugepages_mb=128)
    if not shutil.which('tshark'):
        fail('prerequisite: tshark not found (scripts/setup.sh installs it)')
    tmp = tmpdir()
    hosts = {}
    for i, (net, addr) in enumerate([('cn', '10.97.0.1'), ('cn', '10.97.0.2'),
                                     ('cn', '10.97.0.3'), ('cm', '10.96.0.1'),
                                     ('cm', '10.96.0.2')]):
        ns = Netns('cap%d' % i)
        veth_into(ns, PREFIX + 'c%d' % i, 'eth0', addr + '/24')
        hosts['p%d' % i] = (ns, addr, net)
    sw = register_switch(Switch(tmp)).start()
    sw.network_add('cn', 970)
    sw.network_add('cm', 971)
    for name, (ns, addr, net) in hosts.items():
        sw.port_add(name, 'af-packet', net, iface=PREFIX + 'c%s' % name[1:])
    h0, h1, h2, h3, h4 = (hosts['p%d' % i][0] for i in range(5))
    for a, b in ((h0, '10.97.0.2'), (h0, '10.97.0.3'), (h1, '10.97.0.3'), (h3, '10.96.0.2')):
        check(wait_until(lambda: a.ping(b, count=1)[0], 15), 'no ping to %s' % b)

    # one port: exactly the pings, with addresses, interface and directions
    f1 = os.path.join(tmp, 'p0.pcapng')
    p = capture(sw, 'p0', '-f', 'icmp', '-w', f1, '-c', '10')
    h0.ping('10.97.0.2', count=5, interval=0.2)
    _, err = finish(p, 'vlab capture p0')
    # (ARP now and then is what the filter leaves out: not counted here)
    check(re.search(r'p0: 10 captured, \d+ filtered out, 0 lost', err), 'summary: %s' % err)
    rows = tshark_fields(f1, 'frame.interface_name', 'frame.packet_flags_direction', 'ip.src',
                         'ip.dst', 'icmp.type')
    check_eq('frames in p0.pcapng', 10, len(rows))
    req = [r for r in rows if r[4] == '8']
    rep = [r for r in rows if r[4] == '0']
    check_eq('echo requests', 5, len(req))
    check_eq('echo replies', 5, len(rep))
    check(all(r[0] == 'p0' and r[2] == '10.97.0.1' and r[3] == '10.97.0.2' for r in req),
          'requests: %s' % req)
    check(all(r[2] == '10.97.0.2' and r[3] == '10.97.0.1' for r in rep), 'replies: %s' % rep)
    check(all(int(r[1], 16) == 1 for r in req) and all(int(r[1], 16) == 2 for r in rep),
          'directions (inbound requests, outbound replies): %s' % rows)

    # a filter: only replies; what it left out is counted
    f2 = os.path.join(tmp, 'replies.pcapng')
    p = capture(sw, 'cn', '-f', 'icmp[icmptype] == icmp-echoreply', '-w', f2, '-c', '6')
    h0.ping('10.97.0.3', count=3, interval=0.2)
    _, err = finish(p, 'vlab capture cn -f replies')
    rows = tshark_fields(f2, 'icmp.type', 'ip.src')
    check_eq('frames with the reply filter', 6, len(rows))
    check(all(r[0] == '0' and r[1] == '10.97.0.3' for r in rows), 'filtered: %s' % rows)
    check(' filtered out' in err and 'cn: 6 captured, 0 filtered out' not in err,
          'the requests were counted as filtered out: %s' % err)

    # two captures at once on different networks
    fa, fb = os.path.join(tmp, 'a.pcapng'), os.path.join(tmp, 'b.pcapng')
    pa = capture(sw, 'cn', '-f', 'icmp', '-w', fa, '-c', '8')
    pb = capture(sw, 'cm', '-f', 'icmp', '-w', fb, '-c', '8')
    h1.ping('10.97.0.3', count=2, interval=0.2)
    h3.ping('10.96.0.2', count=2, interval=0.2)
    finish(pa, 'capture a')
    finish(pb, 'capture b')
    ra = tshark_fields(fa, 'ip.src')
    rb = tshark_fields(fb, 'ip.src')
    check_eq('frames of capture a', 8, len(ra))
    check_eq('frames of capture b', 8, len(rb))
    check(all(r[0].startswith('10.97.') for r in ra), 'capture a saw another network: %s' % ra)
    check(all(r[0].startswith('10.96.') for r in rb), 'capture b saw another network: %s' % rb)

    # two targets merged in time order; pcapng through a pipe into tshark
    fm = os.path.join(tmp, 'merged.txt')
    p = subprocess.Popen([cli_path(), '-s', sw.sock, 'capture', 'p0', 'p1', '-f', 'icmp',
                          '-c', '12', '-w', '-'], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    on_cleanup(lambda p=p: p.poll() is None and p.kill(), name='kill merged capture')
    t = subprocess.Popen(['tshark', '-r', '-', '-T', 'fields', '-E', 'separator=|', '-e',
                          'frame.time_epoch', '-e', 'frame.interface_name', '-e',
                          'icmp.seq', '-e', 'icmp.type'], stdin=p.stdout,
                         stdout=open(fm, 'w'), stderr=subprocess.DEVNULL)
    p.stdout.close()
    check(wait_until(lambda: sw.call_ok('capture.list')['captures'], 10), 'merged: no capture')
    h0.ping('10.97.0.2', count=3, interval=0.2)
    check(p.wait(timeout=20) == 0, 'merged capture exited %s' % p.returncode)
    check(t.wait(timeout=20) == 0, 'tshark -r - exited %s' % t.returncode)
    rows = [l.split('|') for l in open(fm).read().splitlines() if l]
    check_eq('frames of the merged capture', 12, len(rows))
    times = [float(r[0]) for r in rows]
    check(times == sorted(times), 'not in time order: %s' % rows)
    check_eq('interfaces', {'p0', 'p1'}, {r[1] for r in rows})
    for seq in ('1', '2', '3'):
        order = [r[1] for r in rows if r[2] == seq and r[3] == '8']
        check_eq('request %s: sender port first' % seq, ['p0', 'p1'], order)

    # classic pcap
    fp = os.path.join(tmp, 'classic.pcap')
    p = capture(sw, 'p3', '-f', 'icmp', '--format', 'pcap', '-w', fp, '-c', '4')
    h3.ping('10.96.0.2', count=2, interval=0.2)
    finish(p, 'vlab capture --format pcap')
    check(open(fp, 'rb').read(4) == bytes.fromhex('4d3cb2a1'), 'not a nanosecond pcap file')
    check_eq('frames in classic.pcap', 4, len(tshark_fields(fp, 'ip.src')))

    # Ctrl-C ends it cleanly: a whole file, the summary, taps off
    fi = os.path.join(tmp, 'interrupted.pcapng')
    p = capture(sw, 'p0', '-f', 'icmp', '-w', fi)
    h0.ping('10.97.0.2', count=2, interval=0.2)
    p.send_signal(signal.SIGINT)
    _, err = finish(p, 'vlab capture ended by SIGINT')
    check(re.search(r'p0: 4 captured, \d+ filtered out, 0 lost', err),
          'summary after Ctrl-C: %s' % err)
    check_eq('frames after Ctrl-C', 4, len(tshark_fields(fi, 'icmp.type')))
    check(wait_until(lambda: not sw.call_ok('capture.list')['captures'], 5), 'taps on after Ctrl-C')
    # a reader that goes away (head) ends it too
    p = subprocess.Popen([cli_path(), '-s', sw.sock, 'capture', 'cn', '-w', '-'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    on_cleanup(lambda p=p: p.poll() is None and p.kill(), name='kill piped capture')
    check(wait_until(lambda: sw.call_ok('capture.list')['captures'], 10), 'piped: no capture')
    h0.ping('10.97.0.2', count=2, interval=0.2)
    p.stdout.read(64)  # the pcapng header came
    p.stdout.close()   # the reader goes away
    h0.ping('10.97.0.2', count=2, interval=0.2)  # more output: EPIPE
    check(wait_until(lambda: p.poll() is not None, 15), 'a closed pipe did not end the capture')
    check_eq('exit status after a closed pipe', 0, p.returncode)
    check(wait_until(lambda: not sw.call_ok('capture.list')['captures'], 5),
          'taps on after the pipe closed')

    # SIGKILL of the client: its taps go off
    p = capture(sw, 'cn', '-w', os.path.join(tmp, 'killed.pcapng'))
    t0 = time.monotonic()
    p.send_signal(signal.SIGKILL)
    p.wait()
    check(wait_until(lambda: not sw.call_ok('capture.list')['captures'], 5),
          'taps still on after the client was killed: %s' % sw.call_ok('capture.list'))
    log('taps off %.3f s after SIGKILL of the client' % (time.monotonic() - t0))
    h0.ping('10.97.0.2', count=2, interval=0.1)  # the datapath still forwards
    # ... also while it has a stream full of packets waiting: a flood of
    # 1400-byte UDP datagrams, and a client that stops reading, then dies
    flood = h0.spawn(['python3', '-c', 'import socket, time\n'
                      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n'
                      'end = time.time() + 30\n'
                      'while time.time() < end: s.sendto(bytes(1400), ("10.97.0.2", 9))'],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    on_cleanup(lambda: flood.poll() is None and flood.kill(), name='kill flood')
    p = capture(sw, 'cn', '-w', '-')  # stdout is a pipe nobody reads
    check(wait_until(lambda: any(c['lost'] for c in sw.call_ok('capture.list')['captures']),
                     10), 'the unread capture lost nothing: %s' % sw.call_ok('capture.list'))
    p.send_signal(signal.SIGKILL)
    p.wait()
    check(wait_until(lambda: not sw.call_ok('capture.list')['captures'], 5),
          'taps still on after a busy client was killed: %s' % sw.call_ok('capture.list'))
    flood.kill()
    flood.wait()

    # flight recorder: the last 8 packets of the network, after traffic stopped
    sw.call_ok('network.record', {'name': 'cn', 'packets': 8})
    h0.ping('10.97.0.2', count=6, interval=0.1)
    fr = os.path.join(tmp, 'recent.pcapng')
    p = subprocess.run([cli_path(), '-s', sw.sock, 'capture', 'cn', '--recent', '-w', fr],
                       capture_output=True, timeout=30)
    check(p.returncode == 0, 'vlab capture --recent: %s' % p.stderr.decode())
    rows = tshark_fields(fr, 'icmp.seq', 'icmp.type', 'frame.interface_name')
    check_eq('packets from the recorder', 8, len(rows))
    icmp = [r for r in rows if r[1]]  # an ARP refresh may be among them
    check(icmp and icmp[-1][0] == '6' and icmp[-1][1] == '0',
          'the newest ICMP is the last reply: %s' % rows)
    check(any(c['kind'] == 'recorder' for c in sw.call_ok('capture.list')['captures']),
          'the recorder stopped after --recent')
    h0.ping('10.97.0.2', count=1)
    p = subprocess.run([cli_path(), '-s', sw.sock, 'capture', 'cn', '--recent', '-w', fr],
                       capture_output=True, timeout=30)
    rows = [r for r in tshark_fields(fr, 'icmp.seq', 'icmp.type') if r[1]]
    check(rows and rows[-1] == ['1', '0'], 'the recorder went on: %s' % rows)
    sw.call_ok('network.record', {'name': 'cn', 'packets': 0})
    check(wait_until(lambda: not sw.call_ok('capture.list')['captures'], 5),
          'the recorder switched off stays: %s' % sw.call_ok('capture.list'))
    # a network deleted with its recorder on takes the recorder with it
    sw.network_add('cr', 972)
    sw.call_ok('network.record', {'name': 'cr', 'packets': 10})
    sw.call_ok('network.del', {'name': 'cr'})
    check(wait_until(lambda: not sw.call_ok('capture.list')['captures'], 5),
          'the recorder of a deleted network stays: %s' % sw.call_ok('capture.list'))

    # Wireshark's extcap
    if not os.access(EXTCAP, os.X_OK):
        fail('%s is missing: scripts/setup.sh installs it' % EXTCAP)
    env = dict(os.environ, VLAB_SWITCH_SOCKET=sw.sock, VLAB_EXTCAP_VLAB=cli_path(),
               VLAB_RUN_DIR=os.path.join(tmp, 'run'))
    d = subprocess.run(['tshark', '-D'], capture_output=True, env=env, timeout=60)
    check('vlab:p0 (vlab switch port p0 (network cn))' in d.stdout.decode(),
          'tshark -D does not list vlab:p0: %s' % d.stdout.decode())
    fx = os.path.join(tmp, 'extcap.pcapng')
    x = subprocess.Popen(['tshark', '-i', 'vlab:p0', '-f', 'icmp', '-c', '4', '-w', fx],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    on_cleanup(lambda x=x: x.poll() is None and x.kill(), name='kill tshark')
    check(wait_until(lambda: x.poll() is not None or sw.call_ok('capture.list')['captures'], 30),
          'tshark -i vlab:p0 started no capture')
    ok = wait_until(lambda: h0.ping('10.97.0.2', count=1)[0] and x.poll() is not None, 30)
    check(ok and x.returncode == 0, 'tshark -i vlab:p0 -c 4: %s' % x.communicate()[1])
    rows = tshark_fields(fx, 'icmp.type', 'frame.interface_name')
    check_eq('frames through the extcap', 4, len(rows))
    check(wait_until(lambda: not sw.call_ok('capture.list')['captures'], 10),
          'the extcap left a capture on')

    # bad input
    r = subprocess.run([cli_path(), '-s', sw.sock, 'capture', 'p0', '-f', 'icmp and'],
                       capture_output=True, timeout=10)
    check(r.returncode == 2 and b"filter 'icmp and'" in r.stderr, 'bad filter: %s' % r.stderr)
    r = subprocess.run([cli_path(), '-s', sw.sock, 'capture', 'nosuch', '-c', '1'],
                       capture_output=True, timeout=10)
    check(r.returncode == 1 and b'nosuch: no node, network or switch port' in r.stderr,
          'bad target: %s' % r.stderr)
    check(not sw.call_ok('capture.list')['captures'], 'captures left on')
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
