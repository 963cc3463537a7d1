"""Shared helpers for the vlab integration tests (python3 stdlib only).

Everything a test creates (temporary directory, switch process, testpmd
peers, network namespaces, veth pairs, ping processes) is registered for
cleanup when it is created.  Cleanup runs in reverse order of creation from
the `run()` wrapper's finally clause, from atexit and on SIGTERM/SIGINT/SIGHUP,
so nothing is left behind when a test fails half way.  Child processes run in
their own process group (killed as a group) and get SIGKILL when the test
process dies (PR_SET_PDEATHSIG).

A test never skips: a missing prerequisite is a failure with the reason
(meson would count exit code 77 as a skip, which is never used here).
"""

import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

PID = os.getpid()
# Short, unique prefix for kernel object names (interface names <= 15 chars).
PREFIX = 'vlt%d' % (PID % 100000)

VERBOSE = os.environ.get('VLAB_TEST_VERBOSE', '1') != '0'


class TestFailure(Exception):
    pass


def fail(msg):
    raise TestFailure(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def check_eq(what, expected, got):
    if expected != got:
        fail('%s: expected %r, got %r' % (what, expected, got))


def log(msg):
    if VERBOSE:
        sys.stderr.write('[%7.2f] %s\n' % (time.monotonic() - _T0, msg))
        sys.stderr.flush()


_T0 = time.monotonic()

# ---------------------------------------------------------------- cleanup

_cleanups = []
_cleaning = False


def on_cleanup(fn, *args, name=None):
    """Register fn(*args) to run at cleanup; returns a handle for cancel()."""
    entry = [fn, args, name or getattr(fn, '__name__', '?')]
    _cleanups.append(entry)
    return entry


def cancel_cleanup(entry):
    try:
        _cleanups.remove(entry)
    except ValueError:
        pass


def cleanup_all():
    global _cleaning
    if _cleaning:
        return
    _cleaning = True
    try:
        while _cleanups:
            fn, args, name = _cleanups.pop()
            try:
                fn(*args)
            except Exception as e:  # keep cleaning up
                sys.stderr.write('cleanup %s failed: %s\n' % (name, e))
    finally:
        _cleaning = False


atexit.register(cleanup_all)


def _on_signal(signum, frame):
    # Turn the signal into an exception so that finally clauses and the
    # cleanup run; a second signal during cleanup is ignored.
    signal.signal(signum, signal.SIG_IGN)
    raise TestFailure('interrupted by signal %d' % signum)


for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _child_setup():
    # Own process group (start_new_session), and die with the test.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# ---------------------------------------------------------------- processes

def sh(args, check=True, timeout=30, input=None):
    """Runs a short command, returns CompletedProcess (text)."""
    if isinstance(args, str):
        args = args.split()
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout, input=input,
                           preexec_fn=_child_setup)
    except subprocess.TimeoutExpired:
        fail('command timed out after %ss: %s' % (timeout, ' '.join(args)))
    except FileNotFoundError:
        fail('command not found: %s' % args[0])
    if check and p.returncode != 0:
        fail('command failed (rc=%d): %s\nstdout: %s\nstderr: %s' %
             (p.returncode, ' '.join(args), p.stdout.strip(), p.stderr.strip()))
    return p


def kill_group(proc, timeout=5.0, sig=signal.SIGTERM):
    """Stops a process started with spawn(): signal to its group, wait,
    SIGKILL the group. Returns the exit status (None if unknown)."""
    if proc is None:
        return None
    pgid = proc.pid
    if proc.poll() is None:
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    # Kill anything left in the group (also children of an exited leader).
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    return proc.returncode


def spawn(args, **kw):
    """Starts a long-running process in its own process group; it is killed
    at cleanup unless stopped before."""
    kw.setdefault('stdin', subprocess.DEVNULL)
    try:
        proc = subprocess.Popen(args, start_new_session=True,
                                preexec_fn=_child_setup, **kw)
    except FileNotFoundError:
        fail('program not found: %s' % args[0])
    proc._vlab_cleanup = on_cleanup(kill_group, proc, name='kill %s' % args[0])
    return proc


def stop(proc, timeout=5.0, sig=signal.SIGTERM):
    rc = kill_group(proc, timeout, sig)
    entry = getattr(proc, '_vlab_cleanup', None)
    if entry:
        cancel_cleanup(entry)
    return rc


def wait_until(fn, timeout, interval=0.05):
    """Calls fn until it returns a true value or timeout; returns the last
    value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------- prerequisites

def build_dir():
    d = os.environ.get('VLAB_BUILD')
    if not d:
        here = os.path.dirname(os.path.abspath(__file__))
        d = os.path.join(here, '..', '..', 'build')
    return os.path.abspath(d)


def switchd_path():
    return os.path.join(build_dir(), 'switch', 'vlab-switchd')


def cli_path():
    return os.path.join(build_dir(), 'control', 'vlab')


def testpmd_path():
    for p in (os.environ.get('VLAB_TESTPMD'), shutil.which('dpdk-testpmd'),
              '/usr/bin/dpdk-testpmd'):
        if p and os.access(p, os.X_OK):
            return p
    return None


def hugepages_free():
    free = 0
    size_kb = 2048
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('HugePages_Free:'):
                free = int(line.split()[1])
            elif line.startswith('Hugepagesize:'):
                size_kb = int(line.split()[1])
    return free, size_kb


def require(switch=True, testpmd=False, netns=False, hugepages_mb=0):
    """Fails (never skips) when a prerequisite is missing."""
    if os.geteuid() != 0:
        fail('prerequisite: integration tests must run as root (uid %d)'
             % os.geteuid())
    if switch:
        p = switchd_path()
        if not os.access(p, os.X_OK):
            fail('prerequisite: switch binary %s not found (set VLAB_BUILD to '
                 'the meson build directory and build it)' % p)
    if hugepages_mb:
        if not os.path.ismount('/dev/hugepages') and not _hugetlbfs_mounted():
            fail('prerequisite: no hugetlbfs mounted (run scripts/setup.sh)')
        free, size_kb = hugepages_free()
        if free * size_kb < hugepages_mb * 1024:
            fail('prerequisite: %d MiB of free hugepages needed, %d MiB free '
                 '(run scripts/setup.sh)' % (hugepages_mb, free * size_kb // 1024))
    if testpmd and not testpmd_path():
        fail('prerequisite: dpdk-testpmd not found (package dpdk)')
    if netns:
        for prog in ('ip', 'ping'):
            if not shutil.which(prog):
                fail('prerequisite: %s not found (iproute2 / iputils-ping)' % prog)


def _hugetlbfs_mounted():
    with open('/proc/mounts') as f:
        return any(l.split()[2] == 'hugetlbfs' for l in f if len(l.split()) > 2)


def tmpdir():
    d = tempfile.mkdtemp(prefix=PREFIX + '-')
    on_cleanup(shutil.rmtree, d, True, name='rm tmpdir')
    return d


# ---------------------------------------------------------------- namespaces

def _write(path, value):
    with open(path, 'w') as f:
        f.write(value)


class Netns:
    def __init__(self, suffix):
        self.name = '%s-%s' % (PREFIX, suffix)
        sh(['ip', 'netns', 'add', self.name])
        on_cleanup(self._delete, name='netns del ' + self.name)
        self.run('ip link set lo up')
        for key in ('all', 'default'):
            self.run(['sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % key])

    def _delete(self):
        sh(['ip', 'netns', 'pids', self.name], check=False)
        p = sh(['ip', 'netns', 'pids', self.name], check=False)
        for pid in p.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ValueError, OSError):
                pass
        sh(['ip', 'netns', 'del', self.name], check=False)

    def argv(self, args):
        if isinstance(args, str):
            args = args.split()
        return ['ip', 'netns', 'exec', self.name] + list(args)

    def run(self, args, check=True, timeout=30):
        return sh(self.argv(args), check=check, timeout=timeout)

    def spawn(self, args, **kw):
        return spawn(self.argv(args), **kw)

    def ping(self, ip, count=3, wait=2, interval=0.2, check=None):
        """Returns (ok, output)."""
        p = self.run(['ping', '-n', '-c', str(count), '-W', str(wait), '-i',
                      str(interval), ip], check=False, timeout=count * (wait + 1) + 10)
        return p.returncode == 0, p.stdout + p.stderr

    def mac_of(self, ifname):
        p = self.run(['cat', '/sys/class/net/%s/address' % ifname])
        return p.stdout.strip()


def root_iface_quiet(ifname):
    """No IPv6 (and so no autoconf, MLD, RS) on a root-namespace interface."""
    path = '/proc/sys/net/ipv6/conf/%s/disable_ipv6' % ifname
    if os.path.exists(path):
        _write(path, '1')


def veth_into(ns, outer, inner, addr=None, mac_addr=None, segmentation=False):
    """veth pair: `outer` in the root namespace (up, no addresses, no IPv6),
    `inner` in ns (up, optional IPv4 address `addr` like 10.99.0.1/24).
    TSO/GSO are off on `inner` unless `segmentation` (as vlab does for its
    namespace hosts: an af-packet port takes frames up to the MTU);
    checksum offload stays on. Returns the inner MAC."""
    if len(outer) > 15 or len(inner) > 15:
        fail('interface name too long: %s / %s' % (outer, inner))
    sh(['ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', inner,
        'netns', ns.name])
    on_cleanup(lambda: sh(['ip', 'link', 'del', outer], check=False),
               name='ip link del ' + outer)
    root_iface_quiet(outer)
    sh(['ip', 'link', 'set', outer, 'up'])
    if mac_addr:
        ns.run(['ip', 'link', 'set', inner, 'address', mac_addr])
    if not segmentation:
        ns.run(['ethtool', '-K', inner, 'tso', 'off', 'gso', 'off'])
    if addr:
        ns.run(['ip', 'addr', 'add', addr, 'dev', inner])
    ns.run(['ip', 'link', 'set', inner, 'up'])
    return ns.mac_of(inner)


def iface_exists(name, ns=None):
    a = ['ip', 'link', 'show', name]
    if ns:
        a = ns.argv(a)
    return sh(a, check=False).returncode == 0


# ---------------------------------------------------------------- peers

# The control API client, the switch, the CLI and testpmd peers
# (vlabtest_peers.py), for `from vlabtest import *`.
from vlabtest_peers import *  # noqa: E402,F401,F403

# ---------------------------------------------------------------- runner

_switches = []


def lab_env(tmp):
    """Environment for the vlab commands of a test lab: its own run
    directory, switch socket and state file. The vlab-switchd that `vlab up`
    starts there is killed at cleanup. Returns (env, rundir)."""
    rundir = os.path.join(tmp, 'run')
    env = dict(os.environ, VLAB_RUN_DIR=rundir, VLAB_SWITCHD=switchd_path(),
               VLAB_SWITCH_SOCKET=os.path.join(tmp, 'switch.sock'),
               VLAB_SWITCH_STATE=os.path.join(tmp, 'switch.json'))

    on_cleanup(lambda: lab_kill_switch(rundir), name='kill switch')
    return env, rundir


def lab_kill_switch(rundir):
    """SIGKILL to the vlab-switchd `vlab up` started for rundir, if any."""
    pid = lab_switch_pid(rundir)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def lab_switch_pid(rundir):
    """The pid of the vlab-switchd `vlab up` started for rundir, or 0."""
    try:
        with open(os.path.join(rundir, 'switch.pid')) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 0


def lab_vlab(env, *args, check=True, timeout=400):
    """Runs `vlab ARGS` in env, logs how long it took; fails on a non-zero
    exit status unless check=False."""
    t0 = time.monotonic()
    p = subprocess.run([cli_path()] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=timeout)
    log('vlab %s: rc=%d in %.1f s' % (' '.join(args), p.returncode, time.monotonic() - t0))
    if check and p.returncode != 0:
        fail('vlab %s failed (rc=%d)\nstdout: %s\nstderr: %s'
             % (' '.join(args), p.returncode, p.stdout, p.stderr))
    return p


def register_switch(sw):
    _switches.append(sw)
    return sw


def run(main):
    """Runs main() and exits 0 (pass) or 1 (fail, with the reason)."""
    rc = 1
    name = os.path.basename(sys.argv[0])
    try:
        main()
        rc = 0
    except TestFailure as e:
        sys.stderr.write('\nFAIL %s: %s\n' % (name, e))
    except Exception:
        sys.stderr.write('\nFAIL %s: unexpected exception\n%s' %
                         (name, traceback.format_exc()))
    finally:
        if rc != 0:
            for sw in _switches:
                if sw.proc is not None:
                    sys.stderr.write('switch %s alive: %s\n%s\n'
                                     % (sw.name, sw.alive(), sw.log_tail(60)))
        try:
            cleanup_all()
        except BaseException as e:
            sys.stderr.write('cleanup error: %s\n' % e)
    if rc == 0:
        sys.stderr.write('PASS %s\n' % name)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)
