"""Machine-level behaviour on both backends: reboot policy, signals, the
console's terminal handling, and host-side errors."""
import os
import pty
import select
import signal
import subprocess
import tempfile
import termios
import time

import pytest

from conftest import VMON, run_vmon, kvm_present


def test_reboot_exits_by_default(test_guest):
    r = run_vmon("run", "--kernel", test_guest("reboot"), "--accel", "emu", timeout=60)
    assert r.rc == 0, r
    assert r.out.count("rebooting") == 1
    assert "--on-reboot exit" in r.err


def test_reboot_restart_boots_again_until_stopped(test_guest):
    p = subprocess.Popen([str(VMON), "run", "--kernel", str(test_guest("reboot")), "--accel",
                          "emu", "--on-reboot", "restart"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    seen = b""
    deadline = time.time() + 30
    while seen.count(b"rebooting") < 3 and time.time() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], 1)
        if ready:
            seen += os.read(p.stdout.fileno(), 4096)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=120)
    assert seen.count(b"rebooting") >= 3, seen
    assert p.returncode == 128 + signal.SIGTERM, err
    assert b"restarting it" in err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_the_vm_cleanly(default_guest, sig):
    # The default guest's interactive shell waits for input forever.
    p = subprocess.Popen([str(VMON), "run", "--kernel", str(default_guest["kernel"]), "--initrd",
                          str(default_guest["initrd"]), "--accel", "emu", "--cmdline",
                          "console=ttyS0 quiet"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.PIPE)
    buf = b""
    deadline = time.time() + 120
    while b"vmon guest ready" not in buf and time.time() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], 1)
        if ready:
            buf += os.read(p.stdout.fileno(), 4096)
    assert b"vmon guest ready" in buf, buf
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 128 + sig, err
    assert b"stopping the VM" in err


def test_terminal_raw_mode_ctrl_a_x_and_restore(default_guest):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(VMON), [str(VMON), "run", "--kernel", str(default_guest["kernel"]),
                             "--initrd", str(default_guest["initrd"]), "--accel", "emu",
                             "--cmdline", "console=ttyS0 quiet"])
    before = termios.tcgetattr(fd)
    buf = b""
    deadline = time.time() + 120
    while b"# " not in buf.split(b"vmon guest ready")[-1] and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            buf += os.read(fd, 4096)
    assert b"vmon guest ready" in buf, buf
    during = termios.tcgetattr(fd)
    assert not (during[3] & termios.ICANON) and not (during[3] & termios.ECHO), "not in raw mode"
    # Typed input reaches the guest shell through the UART.
    os.write(fd, b"echo typed-$((6*7))\r")
    deadline = time.time() + 60
    while b"typed-42" not in buf and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            buf += os.read(fd, 4096)
    assert b"typed-42" in buf, buf
    os.write(fd, b"\x01x")  # Ctrl-A x
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    after = termios.tcgetattr(fd)
    assert after == before, "terminal settings were not restored"
    os.close(fd)


def test_memory_the_host_cannot_map(test_guest):
    r = run_vmon("run", "--kernel", test_guest("hello"), "--accel", "emu", "--mem", "1000T")
    assert r.rc == 2, r
    assert "--mem" in r.err and len(r.err.strip().splitlines()) == 1, r


@pytest.mark.skipif(not kvm_present(), reason="this host has no /dev/kvm")
def test_kvm_absent(test_guest):
    # A private mount namespace whose /dev has no kvm node.
    script = ("mount -t tmpfs tmpfs /dev && touch /dev/null && mount --bind /proc/self/fd/1 /dev/null 2>/dev/null; "
              f"exec {VMON} run --kernel {test_guest('hello')} --accel kvm")
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2, r
    assert "/dev/kvm" in r.stderr and "not present" in r.stderr, r


@pytest.mark.skipif(not kvm_present(), reason="this host has no /dev/kvm")
def test_kvm_permission_denied(test_guest):
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user")
    d = tempfile.mkdtemp(prefix="vmon-kvm-perm-")
    os.chmod(d, 0o755)
    k = os.path.join(d, "hello.elf")
    with open(k, "wb") as f:
        f.write(test_guest("hello").read_bytes())
    os.chmod(k, 0o644)
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        str(VMON), "run", "--kernel", str(k), "--accel", "kvm"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r
    assert "/dev/kvm" in r.stderr and "permission denied" in r.stderr, r
