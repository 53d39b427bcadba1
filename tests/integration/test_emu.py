"""The emu backend: vmon's software x86-64 CPU runs whole Linux guests."""
import gzip
import lzma
import pathlib
import re
import time

import pytest

from conftest import run_vmon, GUEST_OUT


def boot(guest, cmd, *extra, kernel=None, timeout=300):
    k = kernel or guest["kernel"]
    return run_vmon("run", "--kernel", k, "--initrd", guest["initrd"], "--accel", "emu",
                    "--cmdline", f"console=ttyS0 quiet -- {cmd}", *extra, timeout=timeout)


def guest_ok(r):
    assert r.rc == 0, r
    assert "vmon guest ready:" in r.out, r
    assert "vmon guest exit status: 0" in r.out, r


def test_test_guests(test_guest):
    r = run_vmon("run", "--kernel", test_guest("hello"), "--accel", "emu", timeout=60)
    assert r.rc == 0 and "hello from 64-bit mode" in r.out, r
    r = run_vmon("run", "--kernel", test_guest("triple_fault"), "--accel", "emu", timeout=60)
    assert r.rc == 1 and "triple fault" in r.err and "rip=" in r.err, r


def test_default_guest_boots_runs_and_powers_off(default_guest):
    r = boot(default_guest, "echo hello from the guest; uname -r")
    guest_ok(r)
    assert "hello from the guest" in r.out
    assert "cpus=1" in r.out


def test_guest_command_exit_status_is_reported(default_guest):
    r = boot(default_guest, "false")
    assert r.rc == 0, r
    assert "vmon guest exit status: 1" in r.out, r


def test_digests(default_guest):
    r = boot(default_guest, "sha256sum -c /etc/vmon-test.sha256 && md5sum -c /etc/vmon-test.md5")
    guest_ok(r)
    assert r.out.count("/etc/vmon-test.bin: OK") == 2, r


def test_awk_floating_point(default_guest):
    r = boot(default_guest, "awk 'BEGIN { printf \"%.6f %.3e %d\\n\", 3.14159*2, 1/3, 1024*1024*1024; "
                            "x = 0; for (i = 1; i <= 1000; i++) x += 1/i; printf \"%.10f\\n\", x; }'")
    guest_ok(r)
    assert "6.283180 3.333e-01 1073741824" in r.out, r
    assert "7.4854708606" in r.out, r  # harmonic number H(1000)


def test_time_runs_at_real_speed(default_guest):
    start = time.time()
    r = boot(default_guest, "date +%s; cat /proc/uptime; sleep 1; cat /proc/uptime; date +%s")
    end = time.time()
    guest_ok(r)
    body = r.out[r.out.index("vmon guest ready:"):]
    stamps = [int(x) for x in re.findall(r"^(\d{9,})\s*$", body, re.M)]
    uptimes = [float(x) for x in re.findall(r"^(\d+\.\d+) \d+\.\d+\s*$", body, re.M)]
    assert len(stamps) == 2 and len(uptimes) == 2, r
    # The guest's wall clock is the host's (within the boot's duration).
    assert start - 2 <= stamps[0] <= end + 2, (start, stamps, end)
    # sleep 1 takes one second of guest time.
    assert 0.95 <= uptimes[1] - uptimes[0] <= 1.6, uptimes


def test_two_cpus_both_run_work(default_guest):
    cmd = ("for c in 0 1; do taskset -c $c sh -c 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); "
           "done; echo worker on cpu $1 done' sh $c & done; wait; nproc; grep '^cpu[01] ' /proc/stat")
    r = boot(default_guest, cmd, "--cpus", "2")
    guest_ok(r)
    assert "cpus=2" in r.out
    assert "worker on cpu 0 done" in r.out and "worker on cpu 1 done" in r.out, r
    for cpu in ("cpu0", "cpu1"):
        m = re.search(rf"^{cpu} (\d+) \d+ (\d+)", r.out, re.M)
        assert m and int(m.group(1)) > 0, r  # user time on each CPU


@pytest.mark.parametrize("decompress", ["host", "guest"])
def test_debian_kernel(default_guest, decompress):
    """Debian's XZ-compressed bzImage, decompressed by vmon (the default) or
    by its own decompressor running on the software CPU."""
    deb = GUEST_OUT / "debian-vmlinuz"
    assert deb.exists(), "guest/fetch-debian-kernel.sh has not run"
    r = boot(default_guest, "uname -r; sha256sum -c /etc/vmon-test.sha256", "--decompress",
             decompress, kernel=deb, timeout=900)
    guest_ok(r)
    assert "-amd64" in r.out and "/etc/vmon-test.bin: OK" in r.out, r


def test_debian_kernel_two_cpus(default_guest):
    """Debian's kernel on two vCPUs, both running work. (The command stays
    short: Debian builds its kernel with 32 init arguments at most, and a
    longer command after " -- " panics it: "Too many boot init vars".)"""
    deb = GUEST_OUT / "debian-vmlinuz"
    assert deb.exists(), "guest/fetch-debian-kernel.sh has not run"
    r = boot(default_guest, "for c in 0 1; do taskset -c $c md5sum /etc/vmon-test.bin & done; "
             "wait; head -3 /proc/stat", "--cpus", "2", kernel=deb, timeout=600)
    guest_ok(r)
    assert "cpus=2" in r.out, r
    assert r.out.count("/etc/vmon-test.bin") == 2, r
    for cpu in ("cpu0", "cpu1"):
        m = re.search(rf"^{cpu} (\d+) \d+ (\d+)", r.out, re.M)
        assert m and int(m.group(1)) + int(m.group(2)) > 0, r  # time on each CPU


def test_default_guest_own_decompressor(default_guest):
    """The default guest's LZ4 bzImage and gzip initramfs through the
    kernel's own decompressors."""
    r = boot(default_guest, "echo unpacked in the guest", "--decompress", "guest")
    guest_ok(r)
    assert "unpacked in the guest" in r.out, r


def test_initrd_in_a_format_the_kernel_lacks(default_guest, tmp_path):
    """vmon decompresses the initrd: an xz initramfs boots a kernel built
    with gzip support only (CONFIG_RD_GZIP)."""
    cpio = gzip.decompress(pathlib.Path(default_guest["initrd"]).read_bytes())
    xz = tmp_path / "initramfs.cpio.xz"
    xz.write_bytes(lzma.compress(cpio, check=lzma.CHECK_CRC32))
    r = run_vmon("run", "--kernel", default_guest["kernel"], "--initrd", xz, "--accel", "emu",
                 "--cmdline", "console=ttyS0 quiet -- echo from an xz initramfs", timeout=120)
    guest_ok(r)
    assert "from an xz initramfs" in r.out, r


def test_rtc_alarm_interrupt(default_guest):
    """Linux's rtc-cmos arms an RTC alarm two seconds ahead; it fires once on IRQ 8."""
    r = boot(default_guest, "echo +2 > /sys/class/rtc/rtc0/wakealarm; sleep 3; "
             "grep rtc0 /proc/interrupts; cat /sys/class/rtc/rtc0/wakealarm | wc -c")
    guest_ok(r)
    m = re.search(r"^\s*8:\s+(\d+)\s.*rtc0", r.out, re.M)
    assert m and int(m.group(1)) == 1, r
    assert re.search(r"^0\s*$", r.out, re.M), r  # the alarm cleared (an empty file)
