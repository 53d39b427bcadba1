"""virtio-console under the software CPU: with --console virtio, vmon's
stdin/stdout are the guest's hvc0 (output, input, the default command
line), over both transports; COM1 is then not connected."""
import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time

import pytest

from conftest import VMON, run_vmon


def boot(guest, *extra, cmdline=None, stdin=subprocess.DEVNULL):
    args = ["run", "--kernel", guest["kernel"], "--initrd", guest["initrd"], "--accel", "emu",
            "--console", "virtio", *extra]
    if cmdline is not None:
        args += ["--cmdline", cmdline]
    return run_vmon(*args, stdin=stdin, timeout=300)


def body(r):
    out = r.out.replace("\r", "")
    return out[out.index("vmon guest ready:"):]


@pytest.mark.parametrize("transport", ["pci", "mmio"])
def test_output_and_input_through_hvc0(default_guest, transport, tmp_path):
    inp = tmp_path / "in.txt"
    inp.write_text("typed-line\n")
    with open(inp) as f:
        r = boot(default_guest, "--virtio-transport", transport, stdin=f,
                 cmdline="console=hvc0 quiet -- cat /sys/class/tty/console/active; "
                         "echo out-$((6*7)); read x; echo got=$x")
    assert r.rc == 0 and "vmon guest exit status: 0" in r.out, r
    b = body(r)
    assert "\nhvc0\n" in b, r
    assert "\nout-42\n" in b, r
    assert "\ngot=typed-line\n" in b, r


def test_default_cmdline_is_hvc0_and_shell_takes_input(default_guest):
    # No --cmdline: "console=hvc0", so init runs its interactive shell on hvc0.
    proc = subprocess.run([str(VMON), "run", "--kernel", str(default_guest["kernel"]),
                           "--initrd", str(default_guest["initrd"]), "--accel", "emu",
                           "--console", "virtio"],
                          input=b"cat /proc/cmdline\necho marker-$((2+3))\nexit\n",
                          capture_output=True, timeout=300)
    out = proc.stdout.decode(errors="replace").replace("\r", "")
    assert proc.returncode == 0, out + proc.stderr.decode(errors="replace")
    assert "console=hvc0" in out, out
    assert "\nmarker-5\n" in out, out


def test_output_is_not_lost_at_poweroff(default_guest):
    r = boot(default_guest, cmdline="console=hvc0 quiet -- seq 1 20000")
    assert r.rc == 0, r
    b = body(r)
    lines = b.split("\n")
    i = lines.index("20000")
    assert lines[i - 1] == "19999" and lines[i + 1] == "vmon guest exit status: 0", r
    assert len([l for l in lines if l.isdigit()]) == 20000, r


def test_serial_gets_nothing_with_virtio_console(default_guest):
    # The kernel and init write to ttyS0; with --console virtio COM1 goes nowhere.
    r = boot(default_guest, cmdline="console=ttyS0 quiet -- echo on-serial")
    assert r.rc == 0, r
    assert "on-serial" not in r.out, r


def test_bad_console_value(default_guest):
    r = run_vmon("run", "--kernel", default_guest["kernel"], "--console", "usb")
    assert r.rc == 2, r
    assert r.err.strip().count("\n") == 0 and "--console" in r.err, r
    assert r.out == "", r


def read_until(fd, buf, text, timeout):
    deadline = time.time() + timeout
    while text not in buf and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
    return buf


def test_terminal_size_ctrl_a_x_and_restore(default_guest):
    """On a terminal: raw mode, the terminal size in the guest (and its
    change, SIGWINCH), typed input, Ctrl-A x, settings restored."""
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        os.execv(str(VMON), [str(VMON), "run", "--kernel", str(default_guest["kernel"]),
                             "--initrd", str(default_guest["initrd"]), "--accel", "emu",
                             "--console", "virtio"])
    buf = read_until(fd, b"", b"# ", 120)
    assert b"vmon guest ready" in buf, buf
    during = termios.tcgetattr(fd)
    assert not (during[3] & termios.ICANON) and not (during[3] & termios.ECHO), "not in raw mode"
    os.write(fd, b"stty size; echo typed-$((6*7))\r")
    buf = read_until(fd, buf, b"typed-42\r\n", 60)
    assert b"40 100" in buf and b"typed-42" in buf, buf
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    time.sleep(0.5)
    os.write(fd, b"stty size; echo again-$((6*7))\r")
    buf = read_until(fd, buf, b"again-42\r\n", 60)
    assert b"30 120" in buf, buf
    os.write(fd, b"\x01x")  # Ctrl-A x
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    after = termios.tcgetattr(fd)  # a new pty's cooked mode is back
    assert after[3] & termios.ICANON and after[3] & termios.ECHO and after[0] & termios.ICRNL, \
        "terminal settings were not restored"
    os.close(fd)
