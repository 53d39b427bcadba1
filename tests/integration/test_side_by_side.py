"""Four operating systems at once, each in its own vmon process under the
software CPU: the default Linux guest (kernel + initramfs), Debian's kernel
booted by SeaBIOS from the disk guest/make-bootdisk.sh builds, memtest86+,
and the Multiboot test kernel. Each has its own memory size, devices and
console and reaches its own marker; killing one (memtest86+, with SIGKILL)
leaves the others running and answering. docs/ISOLATION.md says why."""
import signal
import time

import pytest

from conftest import run_vmon
from test_firmware import Guest, MEMTEST, MULTIBOOT_OK, report_time
# Fixtures shared with test_firmware.py (pytest finds them by name here).
from test_firmware import boot_img, multiboot_kernel, seabios  # noqa: F401


def test_four_guests_side_by_side(default_guest, boot_img, multiboot_kernel, seabios):
    if not MEMTEST.exists():
        pytest.fail(f"{MEMTEST} missing (scripts/install-deps.sh installs memtest86+)")
    start = time.monotonic()
    linux = Guest("--accel", "emu", "--kernel", default_guest["kernel"],
                  "--initrd", default_guest["initrd"], "--cmdline", "console=ttyS0 quiet",
                  "--mem", "384M", name="linux")
    disk = Guest("--accel", "emu", "--disk", f"{boot_img},ro=on", "--mem", "512M", name="disk")
    memtest = Guest("--accel", "emu", "--kernel", MEMTEST, "--cmdline", "console=ttyS0",
                    "--mem", "128M", name="memtest")
    multiboot = Guest("--accel", "emu", "--kernel", multiboot_kernel("multiboot.elf"),
                      "--cmdline", "side by side", "--device", "debug-exit", name="multiboot")
    guests = [linux, disk, memtest, multiboot]
    try:
        # Each reaches its own marker, on its own console only.
        t_mb = multiboot.wait_for("cmdline: 'side by side'", "multiboot: done", timeout=120)
        assert multiboot.wait() == MULTIBOOT_OK, multiboot
        t_mt = memtest.wait_for("Memtest86+ v6", "Memory  :  128MB", "#0  [", timeout=300)
        t_lx = linux.wait_for("vmon guest ready:", timeout=600)
        t_dk = disk.wait_for("vmon guest ready: kernel=6.1", timeout=900)
        report_time("side by side: multiboot done", t_mb)
        report_time("side by side: memtest86+ first test", t_mt)
        report_time("side by side: default Linux guest ready", t_lx)
        report_time("side by side: SeaBIOS + Debian kernel ready", t_dk)
        # Nothing crosses consoles.
        for o in (linux, disk, memtest):
            assert "multiboot: done" not in o.out, o
        assert "SeaBIOS" not in linux.out and "Memtest86+" not in linux.out, linux
        assert "Memtest86+" not in disk.out, disk
        assert "vmon guest ready" not in memtest.out, memtest

        # No shared writable disk: while the disk guest holds boot.img
        # (shared lock, ro=on), a VM that wants it writable is refused.
        r = run_vmon("run", "--accel", "emu", "--disk", boot_img, timeout=30)
        assert r.rc == 2 and "locked" in r.err, r

        # Kill one: the others keep running and answer.
        assert memtest.kill(signal.SIGKILL) == -signal.SIGKILL
        assert linux.proc.poll() is None, linux
        assert disk.proc.poll() is None, disk
        linux.send("echo linux-alive-$((40 + 2)) $(awk '/MemTotal/ {print int($2 / 1024)}' "
                   "/proc/meminfo)MB")
        disk.send("echo disk-alive-$((40 + 3)) $(awk '/MemTotal/ {print int($2 / 1024)}' "
                  "/proc/meminfo)MB; echo kernel-$(uname -r)-kend")
        linux.wait_for("linux-alive-42", timeout=120)
        disk.wait_for("disk-alive-43", timeout=120)
        # Not "-kend" alone: the terminal echoes the command line, which has it too.
        disk.wait_for("-amd64-kend", timeout=120)
        # Each sees its own memory (--mem 384M and 512M; the kernel keeps some).
        lx_mb = int(linux.out.split("linux-alive-42 ")[1].split("MB")[0])
        dk_mb = int(disk.out.split("disk-alive-43 ")[1].split("MB")[0])
        assert 300 < lx_mb <= 384 and 400 < dk_mb <= 512, (lx_mb, dk_mb)
        assert "kernel-6.1.0-" in disk.out.split("disk-alive-43")[1], disk
        for g in (linux, disk):
            g.send("poweroff -f")
            assert g.wait(timeout=120) == 0, g
        report_time("side by side: whole test", time.monotonic() - start)
    finally:
        for g in guests:
            g.kill()
