"""The peers of the vlab integration tests, in the harness of vlabtest.py:
a client of the switch's control API, a vlab-switchd process, the vlab CLI,
and testpmd virtio-user peers. Imported by vlabtest (tests use `from
vlabtest import *`); everything they start is registered for cleanup there.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from vlabtest import *  # noqa: F401,F403  (the harness: fail, spawn, cleanup...)

# ---------------------------------------------------------------- API client

class ApiError(Exception):
    def __init__(self, method, code, message):
        Exception.__init__(self, '%s: error %s: %s' % (method, code, message))
        self.method, self.code, self.message = method, code, message


class Client:
    """One connection to the switch's control socket (one JSON per line)."""

    def __init__(self, path, timeout=5.0):
        self.path = path
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b''
        self.next_id = 1

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def recv_line(self, timeout=None):
        """Next line (bytes, without \\n); None on EOF; raises
        socket.timeout when nothing arrives in time."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout('no response within %.1fs' %
                                     (timeout or self.timeout))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b''
            if not chunk:
                if self.buf:
                    line, self.buf = self.buf, b''
                    return line
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return line

    def recv_json(self, timeout=None):
        line = self.recv_line(timeout)
        if line is None:
            return None
        try:
            return json.loads(line)
        except ValueError:
            fail('switch sent a line that is not JSON: %r' % line[:200])

    def request(self, method, params=None, id=None, timeout=None):
        """Sends one request, returns the whole response object."""
        if id is None:
            id = self.next_id
            self.next_id += 1
        req = {'id': id, 'method': method}
        if params is not None:
            req['params'] = params
        self.send_raw(json.dumps(req) + '\n')
        resp = self.recv_json(timeout)
        if resp is None:
            fail('switch closed the connection instead of answering %s' % method)
        if resp.get('id') != id:
            fail('%s: response id %r does not match request id %r'
                 % (method, resp.get('id'), id))
        return resp

    def call(self, method, params=None, timeout=None):
        resp = self.request(method, params, timeout=timeout)
        if 'error' in resp:
            e = resp['error']
            raise ApiError(method, e.get('code'), e.get('message'))
        if 'result' not in resp:
            fail('%s: response has neither result nor error: %r' % (method, resp))
        return resp['result']


# ---------------------------------------------------------------- switch

class Switch:
    """vlab-switchd with a socket and state file in a temporary directory."""

    def __init__(self, tmp, name='sw', args=(), eal_args=()):
        self.tmp = tmp
        self.name = name
        self.sock = os.path.join(tmp, name + '.sock')
        self.state = os.path.join(tmp, name + '.state')
        self.logpath = os.path.join(tmp, name + '.log')
        self.args = list(args)
        self.eal_args = list(eal_args)
        self.proc = None
        self._client = None
        self.start_time = None
        self.starts = 0

    def cmdline(self):
        a = [switchd_path(), '--socket', self.sock, '--state', self.state,
             '--pmd-cores', '1', '--ctl-core', '0'] + self.args
        if self.eal_args:
            a += ['--'] + self.eal_args
        return a

    def start(self, timeout=30.0, wait=True):
        self.starts += 1
        logf = open(self.logpath, 'ab')
        logf.write(('\n==== start #%d: %s\n' % (self.starts, ' '.join(self.cmdline()))).encode())
        logf.flush()
        self.start_time = time.monotonic()
        self.proc = spawn(self.cmdline(), stdout=logf, stderr=logf)
        logf.close()
        self._client = None
        log('switch started (pid %d)' % self.proc.pid)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                fail('switch exited with status %s during startup\n%s'
                     % (self.proc.returncode, self.log_tail()))
            try:
                with Client(self.sock, timeout=2) as c:
                    v = c.call('version')
                    log('switch ready after %.2fs: %s'
                        % (time.monotonic() - self.start_time, v))
                    return v
            except (OSError, socket.timeout, ApiError):
                pass
            if time.monotonic() > deadline:
                fail('switch did not answer "version" on %s within %ss\n%s'
                     % (self.sock, timeout, self.log_tail()))
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def client(self):
        if self._client is None:
            self._client = Client(self.sock, timeout=10)
        return self._client

    def call(self, method, params=None, timeout=None):
        if not self.alive():
            fail('switch is not running (exit status %s) when calling %s\n%s'
                 % (self.proc.returncode if self.proc else None, method,
                    self.log_tail()))
        try:
            return self.client().call(method, params, timeout=timeout)
        except (OSError, socket.timeout) as e:
            self._drop_client()
            fail('%s %s: %s (switch alive: %s)\n%s'
                 % (method, json.dumps(params), e, self.alive(), self.log_tail()))

    def _drop_client(self):
        if self._client:
            self._client.close()
            self._client = None

    def call_ok(self, method, params=None):
        try:
            return self.call(method, params)
        except ApiError as e:
            fail('%s %s failed: code %s: %s'
                 % (method, json.dumps(params), e.code, e.message))

    # convenience wrappers
    def network_add(self, name, vni):
        return self.call_ok('network.add', {'name': name, 'vni': vni})

    def port_add(self, name, type, network, **kw):
        p = {'name': name, 'type': type, 'network': network}
        p.update(kw)
        return self.call_ok('port.add', p)

    def port_del(self, name):
        return self.call_ok('port.del', {'name': name})

    def ports(self):
        return {p['name']: p for p in self.call_ok('port.list')}

    def networks(self):
        return {n['name']: n for n in self.call_ok('network.list')}

    def stats(self):
        return self.call_ok('stats')

    def port_stats(self, name=None):
        ps = {p['name']: p for p in self.stats()['ports']}
        if name is None:
            return ps
        if name not in ps:
            fail('stats: port %s missing (ports: %s)' % (name, sorted(ps)))
        return ps[name]

    def fdb(self, network):
        return self.call_ok('fdb.show', {'network': network})

    def wait_link(self, names, timeout=15.0):
        def ok():
            ps = self.ports()
            return all(ps.get(n, {}).get('link') == 'connected' for n in names)
        if not wait_until(ok, timeout, 0.1):
            ps = self.ports()
            fail('port link not "connected" within %ss: %s' %
                 (timeout, {n: ps.get(n, {}).get('link') for n in names}))

    def stop(self, timeout=10.0):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        self._drop_client()
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            rc = self.proc.returncode
            stop(self.proc)
            return rc
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
        stop(self.proc)
        return rc

    def stop_checked(self, timeout=10.0):
        rc = self.stop(timeout)
        if rc is None:
            fail('switch did not exit within %ss of SIGTERM\n%s' % (timeout, self.log_tail()))
        if rc != 0:
            fail('switch exited with status %s on SIGTERM (expected 0)\n%s'
                 % (rc, self.log_tail()))

    def kill9(self):
        self._drop_client()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        stop(self.proc)

    def log_tail(self, n=40):
        try:
            with open(self.logpath, 'rb') as f:
                lines = f.read().decode(errors='replace').splitlines()
        except OSError:
            return '(no switch log)'
        return '---- switch stderr (last %d lines of %s) ----\n%s\n----' % (
            n, self.logpath, '\n'.join(lines[-n:]))


# ---------------------------------------------------------------- CLI

def cli_available():
    return os.access(cli_path(), os.X_OK)


def cli(sock, *args, json_out=False, check=True):
    a = [cli_path(), '-s', sock] + (['-j'] if json_out else []) + list(args)
    p = sh(a, check=check)
    if json_out and check:
        try:
            return json.loads(p.stdout)
        except ValueError:
            fail('vlab %s -j: output is not JSON: %r' % (' '.join(args), p.stdout[:300]))
    return p


# ---------------------------------------------------------------- testpmd peers

class TestPmd:
    """dpdk-testpmd with one virtio-user port (`queues` queue pairs) acting as
    the vhost-user server on `path`, driven interactively (commands on stdin,
    output in a file).  The switch connects to it as a vhost-user client.
    With client=True, testpmd connects to a server-mode switch port instead.

    Startup blocks in the virtio-user probe until the switch connects, so:
    start(), then add the switch port, then wait_ready()."""

    def __init__(self, tmp, name, path, mac, fwd='rxonly', eth_peer=None,
                 extra=(), mem_mb=64, nb_mbufs=4096, queues=1, client=False):
        self.tmp, self.name, self.path, self.mac = tmp, name, path, mac
        self.queues, self.client = queues, client
        self.fwd, self.eth_peer, self.extra = fwd, eth_peer, list(extra)
        self.mem_mb, self.nb_mbufs = mem_mb, nb_mbufs
        self.outpath = os.path.join(tmp, 'testpmd-%s.log' % name)
        self.proc = None

    def cmdline(self):
        a = [testpmd_path(), '--lcores', '0@0,1@0', '--no-pci', '--in-memory',
             '--single-file-segments', '--file-prefix', '%s%s' % (PREFIX, self.name),
             '-m', str(self.mem_mb), '--log-level', 'lib.eal:notice',
             '--vdev', 'net_virtio_user0,path=%s,server=%d,queues=%d,mac=%s'
             % (self.path, 0 if self.client else 1, self.queues, self.mac),
             '--', '-i', '--forward-mode=%s' % self.fwd,
             '--total-num-mbufs=%d' % self.nb_mbufs, '--nb-cores=1',
             '--rxq=%d' % self.queues, '--txq=%d' % self.queues]
        if self.eth_peer:
            a.append('--eth-peer=0,%s' % self.eth_peer)
        return a + self.extra

    def start(self):
        out = open(self.outpath, 'wb')
        # stdbuf: line-buffered stdout even though it is a file.
        args = self.cmdline()
        if shutil.which('stdbuf'):
            args = ['stdbuf', '-oL', '-eL'] + args
        self.proc = spawn(args, stdin=subprocess.PIPE, stdout=out,
                          stderr=subprocess.STDOUT)
        out.close()
        log('testpmd %s started (pid %d)' % (self.name, self.proc.pid))
        return self

    def output(self, since=0):
        try:
            with open(self.outpath, 'rb') as f:
                f.seek(since)
                return f.read().decode(errors='replace')
        except OSError:
            return ''

    def out_size(self):
        try:
            return os.path.getsize(self.outpath)
        except OSError:
            return 0

    def tail(self, n=30):
        return '---- testpmd %s output (last %d lines of %s) ----\n%s\n----' % (
            self.name, n, self.outpath, '\n'.join(self.output().splitlines()[-n:]))

    def wait_for(self, pattern, timeout=20.0, since=0, what=None):
        rx = re.compile(pattern)

        def look():
            if self.proc.poll() is not None:
                fail('testpmd %s exited (status %s) while waiting for %s\n%s'
                     % (self.name, self.proc.returncode, what or pattern, self.tail()))
            return rx.search(self.output(since))
        m = wait_until(look, timeout, 0.05)
        if not m:
            fail('testpmd %s: no %s within %ss\n%s'
                 % (self.name, what or repr(pattern), timeout, self.tail()))
        return m

    def wait_listening(self, timeout=20.0):
        self.wait_for(r'waiting for client connection', timeout,
                      what='vhost-user server socket')
        wait_until(lambda: os.path.exists(self.path), 5)

    def wait_ready(self, timeout=30.0):
        self.wait_for(r'testpmd> ', timeout, what='interactive prompt '
                      '(switch port connected)')
        out = self.output()
        if re.search(r'Failed to start device|Failed to set memory table', out):
            fail('testpmd %s: virtio-user device did not start\n%s'
                 % (self.name, self.tail()))

    def cmd(self, line):
        if self.proc.poll() is not None:
            fail('testpmd %s exited (status %s) before command %r\n%s'
                 % (self.name, self.proc.returncode, line, self.tail()))
        log('testpmd %s> %s' % (self.name, line))
        self.proc.stdin.write((line + '\n').encode())
        self.proc.stdin.flush()

    def cmd_wait(self, line, pattern, timeout=10.0):
        off = self.out_size()
        self.cmd(line)
        return self.wait_for(pattern, timeout, since=off, what='output of %r' % line)

    def port_stats(self):
        """Returns {'rx': RX-packets, 'tx': TX-packets, ...} of port 0."""
        m = self.cmd_wait(
            'show port stats 0',
            r'(?s)NIC statistics for port 0\s*#+\s*\n(.*?)\n\s*#{20,}', timeout=10)
        block = m.group(1)
        vals = dict((k, int(v)) for k, v in
                    re.findall(r'([A-Za-z-]+):\s+(\d+)', block))
        for k in ('RX-packets', 'TX-packets'):
            if k not in vals:
                fail('testpmd %s: cannot parse %s from stats:\n%s' % (self.name, k, block))
        return {'rx': vals['RX-packets'], 'tx': vals['TX-packets'],
                'rx_missed': vals.get('RX-missed', 0),
                'tx_errors': vals.get('TX-errors', 0),
                'rx_nombuf': vals.get('RX-nombuf', 0)}

    def start_fwd(self, tx_first=None):
        if tx_first:
            self.cmd_wait('start tx_first %d' % tx_first, r'forwarding packets|Start automatic')
        else:
            self.cmd_wait('start', r'forwarding packets|Start automatic')

    def stop_fwd(self):
        self.cmd_wait('stop', r'Done\.|Packet forwarding not started', timeout=15)

    def quit(self, timeout=10.0):
        if self.proc is None or self.proc.poll() is not None:
            if self.proc:
                stop(self.proc)
            return
        try:
            self.cmd('quit')
            self.proc.stdin.close()
            self.proc.wait(timeout)
        except (OSError, subprocess.TimeoutExpired, TestFailure):
            pass
        stop(self.proc)


def mac(n, base='02:76:6c:00:00'):
    """A locally administered unicast MAC (02:76:6c = 'vl')."""
    return '%s:%02x' % (base, n)
