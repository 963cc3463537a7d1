#!/usr/bin/env python3
"""Live fuzz client of the control API of a real vlab-switchd (stdlib only;
tests/fuzz/README.md). Needs root and hugepages, like the integration tests,
whose helpers (tests/integration/vlabtest.py: Switch, Netns, cleanup) it
uses; the switch comes from $VLAB_BUILD (meson sets it).

  fuzz_switch_api.py [--seconds N] [--connections K] [--seed S] [--replay FILE...]

First every seed and reproducer of tests/fuzz/api (files directly in
api/seeds and api/reproducers) goes to the switch as one stream per file.
Then, for --seconds (default $FUZZ_SECONDS, else 30), K connections (default
4) each send rounds of lines: requests built from the seeds' methods with
random values, byte-level mutations of seed lines, random bytes; a round goes
out whole (pipelined), in random pieces (split lines) or line by line, and
ends with a marker request. Besides, a probe connects every half second and
times a `version`; from time to time a connection sends a line over 65,536
bytes (the switch must answer -32600 and close) or half a line and leaves.

Checked: every non-blank line gets exactly one reply, in order (the marker's
reply comes right after the others); every reply is one JSON object with the
request's id and either a result or an error; a request whose id Python can
read gets that id back (or, if jansson refused its JSON, an error -32700 with
a null id); the switch never closes a connection that sent only lines of at
most 65,536 bytes; the probe is answered within --max-latency seconds; at the
end the switch is alive, answers `version` within a second and exits 0 on
SIGTERM. On a failure the streams in flight are saved under
tests/fuzz/api/reproducers/pending/ (--save-dir): `--replay FILE` sends them
again.

Safety: the switch runs in its own network namespace (tap and af-packet
ports see only that namespace's interfaces), and every line is rewritten
before it is sent when it parses as a port.add: vhost-user paths and pcap
files go to the test's temporary directory, af-packet ports get the test's
veth, tap ports a test name."""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
from vlabtest import (PREFIX, Netns, Switch, check, fail, log, on_cleanup,  # noqa: E402
                      register_switch, require, run, sh, tmpdir)

API_MAX_LINE = 16 << 20
PARSE, INVALID, NOMETHOD = -32700, -32600, -32601
SEED_DIRS = [os.path.join(HERE, 'api', 'seeds'), os.path.join(HERE, 'api', 'reproducers')]
SAVE_DIR = os.path.join(HERE, 'api', 'reproducers', 'pending')

# jansson parses up to 2048 levels; Python must follow so that the safety
# rewrite sees every request the switch could take
sys.setrecursionlimit(20000)
threading.stack_size(64 << 20)


class Finding(Exception):
    """A defect of the switch seen by a connection."""


def top_files(dirs):
    out = []
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if not n.startswith('.') and os.path.isfile(p):
                out.append(p)
    return out


def loads_strict(b):
    """The JSON value of b, or raises ValueError (duplicate keys too)."""
    def pairs(kv):
        d = {}
        for k, v in kv:
            if k in d:
                raise ValueError('duplicate key')
            d[k] = v
        return d
    s = b.decode('utf-8')  # strict: jansson refuses invalid UTF-8 as well
    return json.loads(s, object_pairs_hook=pairs)


def jansson_ok(o, depth=0):
    """True when jansson (the switch's parser) takes the value as Python
    read it: no NUL or lone surrogate in strings, integers within int64,
    finite reals, nesting within its limit."""
    if depth > 2000:
        return False
    if isinstance(o, str):
        try:
            o.encode('utf-8')
        except UnicodeEncodeError:
            return False
        return '\x00' not in o
    if isinstance(o, bool) or o is None:
        return True
    if isinstance(o, int):
        return -2 ** 63 <= o < 2 ** 63
    if isinstance(o, float):
        return o == o and abs(o) != float('inf')
    if isinstance(o, list):
        return all(jansson_ok(v, depth + 1) for v in o)
    if isinstance(o, dict):
        return all(jansson_ok(k, depth + 1) and jansson_ok(v, depth + 1) for k, v in o.items())
    return False


# ------------------------------------------------------------------ safety

class Safety:
    """Rewrites port.add requests so that a fuzzed one cannot reach the
    machine outside the test: see the module's docstring."""

    def __init__(self, tmp, afpacket_iface):
        self.tmp = tmp
        self.iface = afpacket_iface
        self.n = 0
        self.pcap_in = os.path.join(tmp, 'in.pcap')
        with open(self.pcap_in, 'wb') as f:  # one 60-byte broadcast frame
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            frame = b'\xff' * 6 + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x06' + b'\0' * 46
            f.write(struct.pack('<IIII', 0, 0, len(frame), len(frame)) + frame)
        self.rewritten = 0

    def line(self, b):
        try:
            o = loads_strict(b.rstrip(b'\r '))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return b  # the switch refuses it as well
        if not isinstance(o, dict) or o.get('method') != 'port.add':
            return b
        p = o.get('params')
        if not isinstance(p, dict):
            return b
        self.n += 1
        t = p.get('type')
        if 'path' in p or t == 'vhost-user':
            p['path'] = os.path.join(self.tmp, 'vu%d.sock' % self.n)
        if 'iface' in p or t in ('tap', 'af-packet'):
            p['iface'] = self.iface if t == 'af-packet' else '%st%d' % (PREFIX[:7], self.n % 10000)
        if t not in ('ring', 'null') and ('devargs' in p or t == 'pcap'):
            p['devargs'] = 'rx_pcap=%s,tx_pcap=%s' % (
                self.pcap_in, os.path.join(self.tmp, 'out%d.pcap' % self.n))
        elif isinstance(p.get('devargs'), str) and 'iface' in p['devargs']:
            p['devargs'] = 'size=64'
        self.rewritten += 1
        return json.dumps(o).encode()


# ------------------------------------------------------------------ inputs

NAMES = ['n0', 'n1', 'n2', 'p0', 'p1', 'p2', 'lan1', 'h1', 'vm1-eth0', '', 'a b', 'x' * 31,
         'y' * 32, '\u00e9' * 20, '../x', '-', '.', 5, None, [], {}]
UINTS = [0, 1, 2, 100, 4095, 4096, 16777215, 16777216, -1, 2 ** 31, 2 ** 32, 2 ** 63 - 1,
         -2 ** 63, 1.0, 1.5, '7', True, None, 1e30]
STRS = ['', 'a', 'x' * 255, 'x' * 256, 'size=64', 'copy=1,size=65535', 'no-rx=1',
        '\u20ac' * 100, 'client', 'server', 'tap', 'ring', 'null', 'pcap', 'vhost-user',
        'af-packet', 'bogus', '52:54:00:12:34:56', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01',
        '00:00:00:00:00:00', '52:54:00:12:34', 'nodeaction=r9:0:CREATE', 7, None]
TOKENS = [b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'\x00', b'\xff', b'\xc3', b'\xe2\x82',
          b' ', b'\r', b'\t', b'0', b'-', b'e', b'null', b'true', b'"id"', b'"method"',
          b'"params"', b'1e999', b'-0', b'18446744073709551616', b'"\\u0000"', b'"\\ud800"',
          b'\\u00e9', '\u00e9'.encode(), '\U0001f600'.encode(), b'[' * 64, b'{"a":' * 32,
          b'"version"', b'"port.add"', b'"network.add"', b'"fdb.add_static"']


class Inputs:
    def __init__(self, rng):
        self.rng = rng
        self.lines = []      # seed lines (bytes), at most API_MAX_LINE each
        self.templates = []  # (method, params) of the valid seeds
        for p in top_files(SEED_DIRS):
            with open(p, 'rb') as f:
                data = f.read()
            for l in data.split(b'\n'):
                if l.strip() and len(l) <= API_MAX_LINE:
                    self.lines.append(l)
                    try:
                        o = loads_strict(l)
                    except (ValueError, UnicodeDecodeError, RecursionError):
                        continue
                    if (isinstance(o, dict) and isinstance(o.get('method'), str) and
                            isinstance(o.get('params', {}), dict) and jansson_ok(o)):
                        self.templates.append((o['method'], o.get('params', {})))
        if not self.lines or not self.templates:
            fail('no seed requests in %s (run tests/fuzz/mkseeds.py)' % SEED_DIRS)
        self.next_id = 1

    def good(self):
        """A well-formed request with a fresh id: (line, id)."""
        r = self.rng
        while True:
            line, rid = self._good(r)
            if len(line) <= API_MAX_LINE:
                return line, rid

    def _good(self, r):
        method, params = r.choice(self.templates)
        p = {}
        for k, v in params.items():
            if r.random() < 0.15:
                continue  # leave it out
            if r.random() < 0.6:
                p[k] = v
            elif k in ('name', 'network', 'port'):
                p[k] = r.choice(NAMES)
            elif k in ('vni', 'mac_limit'):
                p[k] = r.choice(UINTS)
            else:
                p[k] = r.choice(STRS)
        if r.random() < 0.1:
            p[r.choice(['colour', 'vni', 'type', 'mac', '\u00e9' * 30])] = r.choice(STRS)
        rid = self.next_id
        self.next_id += 1
        o = {'id': rid, 'method': method}
        if p or r.random() < 0.5:
            o['params'] = p
        return json.dumps(o, ensure_ascii=r.random() < 0.5).encode(), rid

    def mutate(self, b):
        r = self.rng
        b = bytearray(b)
        for _ in range(r.choice([1, 1, 2, 3, 8])):
            op = r.randrange(7)
            pos = r.randrange(len(b) + 1)
            if op == 0 and b:
                b[min(pos, len(b) - 1)] ^= 1 << r.randrange(8)
            elif op == 1:
                b[pos:pos] = r.choice(TOKENS)
            elif op == 2 and b:
                del b[pos:pos + r.randrange(1, 16)]
            elif op == 3 and b:
                n = r.randrange(1, 32)
                b[pos:pos] = b[max(0, pos - n):pos] * r.randrange(1, 4)
            elif op == 4:
                other = r.choice(self.lines)
                cut = r.randrange(len(other) + 1)
                b = b[:pos] + bytearray(other[cut:])
            elif op == 5 and b:
                b[min(pos, len(b) - 1)] = r.randrange(256)
            else:
                b = b[:pos]
        return bytes(b)

    def line(self):
        """One line to send (no newline): (bytes, known id or None, strict)."""
        r = self.rng.random()
        if r < 0.35:
            line, rid = self.good()
            return line, rid, True
        if r < 0.85:
            base = self.good()[0] if self.rng.random() < 0.5 else self.rng.choice(self.lines)
            b = self.mutate(base)
        elif r < 0.95:
            b = os.urandom(self.rng.randrange(1, 200))
        else:
            b = self.rng.choice(self.lines)
        return b.replace(b'\n', b' ')[:API_MAX_LINE], None, False


def expect_for(line, strict_id=None):
    """What the reply to `line` must show: (known id or a marker, strict)."""
    if strict_id is not None:
        return (strict_id, True)
    try:
        o = loads_strict(line.rstrip(b'\r '))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return (Ellipsis, False)
    if isinstance(o, dict) and 'id' in o:
        return (o['id'], False)
    return (Ellipsis, False)


# ------------------------------------------------------------------ one stream

def check_reply(raw, exp, what):
    try:
        o = loads_strict(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise Finding('%s: a reply is not JSON (%s): %r' % (what, e, raw[:300]))
    if not isinstance(o, dict) or 'id' not in o or (('result' in o) == ('error' in o)):
        raise Finding('%s: a reply is not {id, result|error}: %r' % (what, raw[:300]))
    if 'error' in o:
        e = o['error']
        if (not isinstance(e, dict) or not isinstance(e.get('code'), int) or
                not isinstance(e.get('message'), str) or not e['message']):
            raise Finding('%s: an error without code or message: %r' % (what, raw[:300]))
        code = e['code']
        if code not in (PARSE, INVALID, NOMETHOD) and not -4095 <= code < 0:
            raise Finding('%s: error code %r is not documented: %r' % (what, code, raw[:300]))
    want, strict = exp
    if want is Ellipsis:
        return o
    if o['id'] != want or type(o['id']) != type(want):
        if strict or not (o['id'] is None and 'error' in o and o['error']['code'] == PARSE):
            raise Finding('%s: reply with id %r to the request with id %r: %r'
                          % (what, o['id'], want, raw[:300]))
    return o


def run_stream(sock_path, data, rng, what, expect=None, deadline_s=30.0):
    """Sends `data` (lines, each ending with a newline) over a new
    connection in pieces chosen by rng and checks the replies. `expect`:
    one (id, strict) per line (None: computed). Returns the number of replies.
    A line over API_MAX_LINE must get -32600 and the connection closed."""
    segs = data.split(b'\n')
    if segs[-1] == b'':
        segs.pop()
    exps, too_long = [], False
    for i, s in enumerate(segs):
        if len(s) > API_MAX_LINE:
            too_long = True
            break
        if s.rstrip(b'\r ') == b'':
            continue
        exps.append(expect[i] if expect else expect_for(s))
    mode = rng.randrange(3)
    if mode == 0:
        pieces = [data]
    elif mode == 1:
        pieces, pos = [], 0
        while pos < len(data):
            n = rng.choice([1, 2, 7, 100, 1000, 5000, 70000])
            pieces.append(data[pos:pos + n])
            pos += n
    else:
        pieces = [l + b'\n' for l in data.split(b'\n')[:-1]]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(sock_path)
    except OSError as e:
        raise Finding('%s: cannot connect: %s' % (what, e))
    s.setblocking(False)
    buf, replies, eof = b'', 0, False
    pi, off = 0, 0
    deadline = time.monotonic() + deadline_s
    try:
        while not eof and (replies < len(exps) + too_long or pi < len(pieces)):
            if time.monotonic() > deadline:
                raise Finding('%s: %d of %d lines answered within %.0f s'
                              % (what, replies, len(exps), deadline_s))
            wr = [s] if pi < len(pieces) else []
            r, w, _ = select.select([s], wr, [], 0.05)
            if w:
                try:
                    n = s.send(pieces[pi][off:off + 65536])
                except BlockingIOError:
                    n = 0
                except (BrokenPipeError, ConnectionResetError):
                    if too_long:
                        pi = len(pieces)
                        continue
                    raise Finding('%s: the switch closed the connection while we sent '
                                  '(%d of %d replies)' % (what, replies, len(exps)))
                off += n
                if off >= len(pieces[pi]):
                    pi, off = pi + 1, 0
                    if mode == 1 and rng.random() < 0.05:
                        time.sleep(rng.random() * 0.003)
            if r:
                try:
                    chunk = s.recv(1 << 20)
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    chunk = b''
                if not chunk:
                    eof = True
                buf += chunk
                *lines, buf = buf.split(b'\n')
                for l in lines:
                    if replies < len(exps):
                        check_reply(l, exps[replies], '%s line %d' % (what, replies + 1))
                    elif too_long and replies == len(exps):
                        o = check_reply(l, (None, True), '%s over-long line' % what)
                        if o.get('error', {}).get('code') != INVALID:
                            raise Finding('%s: an over-long line got %r, not -32600'
                                          % (what, l[:300]))
                    else:
                        raise Finding('%s: a reply too many: %r' % (what, l[:300]))
                    replies += 1
        if eof and replies < len(exps) + too_long:
            raise Finding('%s: the switch closed the connection after %d of %d replies'
                          % (what, replies, len(exps) + too_long))
        if too_long:
            end = time.monotonic() + 5
            while not eof and time.monotonic() < end:
                r, _, _ = select.select([s], [], [], 0.1)
                if r:
                    try:
                        eof = s.recv(65536) == b''
                    except ConnectionResetError:
                        eof = True
            if not eof:
                raise Finding('%s: the connection stayed open after an over-long line' % what)
    finally:
        s.close()
    return replies


# ------------------------------------------------------------------ the run

class Run:
    def __init__(self, sw, safety, args):
        self.sw, self.safety, self.args = sw, safety, args
        self.lock = threading.Lock()
        self.inflight = {}  # connection -> stream being sent
        self.findings = []
        self.lines = self.replies = self.bytes = self.rounds = self.good = 0
        self.streams_long = self.halves = 0
        self.latencies = []
        self.stop = False

    def finding(self, msg, streams):
        with self.lock:
            self.findings.append((msg, streams))
            self.stop = True

    def worker(self, k, seed):
        rng = random.Random(seed)
        inputs = Inputs(rng)
        end = time.monotonic() + self.args.seconds
        while not self.stop and time.monotonic() < end:
            if rng.random() < 0.03:
                self.special(k, rng, inputs)
                continue
            lines, exps, good = [], [], 0
            for _ in range(rng.choice([1, 5, 20, 100, 400])):
                b, rid, strict = inputs.line()
                b2 = self.safety.line(b)
                if b2 != b:
                    strict, rid = False, None
                lines.append(b2)
                exps.append(expect_for(b2, rid if strict else None))
                good += strict
            marker = ('end-%d-%d' % (k, self.rounds)).encode()
            lines.append(b'{"id":"' + marker + b'","method":"version"}')
            exps.append((marker.decode(), True))
            data = b''.join(l + b'\n' for l in lines)
            with self.lock:
                self.inflight[k] = data
            try:
                n = run_stream(self.sw.sock, data, rng, 'connection %d round %d'
                               % (k, self.rounds), exps)
            except Finding as e:
                self.finding(str(e), {k: data})
                return
            with self.lock:
                self.lines += len(lines)
                self.good += good
                self.replies += n
                self.bytes += len(data)
                self.rounds += 1
                self.inflight.pop(k, None)

    def special(self, k, rng, inputs):
        """A line over the limit in one write, or half a line and away."""
        if rng.random() < 0.5:
            good, rid = inputs.good()
            data = good + b'\n' + b'{"method":"version","params":{"x":"' + \
                b'A' * rng.choice([API_MAX_LINE + 1, API_MAX_LINE + 1000]) + b'"}}\n'
            try:
                run_stream(self.sw.sock, data, random.Random(rng.random()),
                           'connection %d over-long line' % k,
                           [(rid, True)] + [None])
            except Finding as e:
                self.finding(str(e), {k: data})
            self.streams_long += 1
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.sw.sock)
                s.sendall(inputs.line()[0][:rng.randrange(1, 64)])
            except OSError:
                pass
            s.close()
            self.halves += 1

    def probe(self):
        i = 0
        while not self.stop:
            time.sleep(0.5)
            if self.stop:
                break
            i += 1
            t0 = time.monotonic()
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(self.args.max_latency + 5)
                s.connect(self.sw.sock)
                s.sendall(b'{"id":"probe-%d","method":"version"}\n' % i)
                buf = b''
                while b'\n' not in buf:
                    c = s.recv(65536)
                    if not c:
                        break
                    buf += c
                s.close()
            except OSError as e:
                self.finding('probe %d: %s (switch alive: %s)' % (i, e, self.sw.alive()),
                             dict(self.inflight))
                return
            dt = time.monotonic() - t0
            self.latencies.append(dt)
            if b'"probe-%d"' % i not in buf:
                self.finding('probe %d: no version reply: %r' % (i, buf[:200]),
                             dict(self.inflight))
                return
            if dt > self.args.max_latency:
                self.finding('probe %d: version took %.2f s while %d clients fuzzed (limit '
                             '%.1f s)' % (i, dt, self.args.connections, self.args.max_latency),
                             dict(self.inflight))
                return

    def watchdog(self):
        while not self.stop:
            if not self.sw.alive():
                self.finding('the switch died (exit status %s)' % self.sw.proc.returncode,
                             dict(self.inflight))
                return
            time.sleep(0.1)


def save(streams, save_dir, tag):
    os.makedirs(save_dir, exist_ok=True)
    paths = []
    stamp = time.strftime('%Y%m%d-%H%M%S')
    for k, data in sorted(streams.items()):
        p = os.path.join(save_dir, 'switch-%s-%s-c%s.jsonl' % (tag, stamp, k))
        with open(p, 'wb') as f:
            f.write(data)
        paths.append(p)
    return paths


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--seconds', type=float,
                    default=float(os.environ.get('FUZZ_SECONDS') or 30))
    ap.add_argument('--connections', type=int, default=4)
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--max-latency', type=float, default=2.0,
                    help='seconds a probe version may take while others fuzz')
    ap.add_argument('--save-dir', default=SAVE_DIR)
    ap.add_argument('--replay', nargs='+', metavar='FILE',
                    help='only send these saved streams and check the replies')
    return ap.parse_args()


def main():
    args = parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    log('seed %d (--seed %d repeats the choices)' % (seed, seed))
    require(switch=True, netns=True, hugepages_mb=64)
    tmp = tmpdir()
    ns = Netns('fz')
    a, b = PREFIX[:9] + 'fa', PREFIX[:9] + 'fb'
    ns.run(['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b])
    ns.run(['ip', 'link', 'set', a, 'up'])
    ns.run(['ip', 'link', 'set', b, 'up'])

    class NsSwitch(Switch):
        def cmdline(self):
            return ns.argv(Switch.cmdline(self))

    sw = register_switch(NsSwitch(tmp)).start()
    safety = Safety(tmp, a)
    rng = random.Random(seed)

    # the seeds and reproducers (or --replay files), one stream each
    files = args.replay or top_files(SEED_DIRS)
    n_lines = 0
    for p in files:
        with open(p, 'rb') as f:
            data = f.read()
        if data and not data.endswith(b'\n'):
            data += b'\n'
        data = b''.join(safety.line(l) + b'\n' for l in data.split(b'\n')[:-1])
        try:
            n_lines += run_stream(sw.sock, data, rng, os.path.basename(p))
        except Finding as e:
            saved = save({'replay': data}, args.save_dir, 'replay') if not args.replay else []
            fail('%s%s\n%s' % (e, ''.join('\nsaved: ' + s for s in saved), sw.log_tail()))
        check(sw.alive(), 'the switch died on %s (status %s)\n%s'
              % (p, sw.proc.returncode, sw.log_tail()))
    log('%d files replayed (%d replies)' % (len(files), n_lines))
    if args.replay:
        check(sw.alive(), 'the switch died')
        sw.stop_checked()
        return

    r = Run(sw, safety, args)
    threads = [threading.Thread(target=r.worker, args=(k, seed + k), daemon=True)
               for k in range(args.connections)]
    threads += [threading.Thread(target=r.probe, daemon=True),
                threading.Thread(target=r.watchdog, daemon=True)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads[:args.connections]:
        t.join(args.seconds + 120)
    r.stop = True
    for t in threads[args.connections:]:
        t.join(10)
    elapsed = time.monotonic() - t0
    lat = sorted(r.latencies)
    summary = ('fuzz-summary: switch-api: %d lines (%d well-formed with their id, %d port.add '
               'rewritten) in %d rounds on %d connections, %d bytes, %d replies, %d over-long '
               'lines, %d half lines, in %.0f s; version probe max %.0f ms (%d probes); '
               'findings %d; seed %d'
               % (r.lines, r.good, safety.rewritten, r.rounds, args.connections, r.bytes,
                  r.replies, r.streams_long, r.halves, elapsed,
                  1000 * (lat[-1] if lat else 0), len(lat), len(r.findings), seed))
    print(summary)
    sys.stdout.flush()
    if r.findings:
        msg, streams = r.findings[0]
        dead = not sw.alive()
        if dead:  # any stream in flight may have done it
            msg = 'the switch died (exit status %s); first seen: %s' % (sw.proc.returncode, msg)
            for _, more in r.findings:
                streams.update(more)
            streams.update(r.inflight)
        saved = save(streams, args.save_dir, 'crash' if dead else 'fail')
        fail('%s\nthe streams in flight: %s\n(replay: %s --replay FILE...)\n%s'
             % (msg, ' '.join(saved), sys.argv[0], sw.log_tail()))

    check(sw.alive(), 'the switch died after the run (status %s)' % sw.proc.returncode)
    t1 = time.monotonic()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(sw.sock)
        s.sendall(b'{"id":"after","method":"version"}\n')
        got = s.recv(65536)
    dt = time.monotonic() - t1
    check(b'"after"' in got and b'vlab-switchd' in got, 'no version after the run: %r' % got)
    check(dt < 1.0, 'version after the run took %.2f s' % dt)
    sw.stop_checked()


if __name__ == '__main__':
    run(main)
