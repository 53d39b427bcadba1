"""Firmware and other operating systems, under the software CPU (--accel emu):
SeaBIOS from Debian's seabios package (banner, no bootable device, a disk
built by guest/make-bootdisk.sh booted to the Debian kernel's shell),
memtest86+, the Multiboot test kernel with debug-exit, and the bad-input
cases (exit status 2 and one line naming the thing and the problem)."""
import os
import pathlib
import signal
import subprocess
import threading
import time

import pytest

from conftest import ROOT, VMON, GUEST_OUT, TEST_GUESTS, run_vmon

SEABIOS = pathlib.Path("/usr/share/seabios/bios-microvm.bin")
MEMTEST = pathlib.Path("/boot/memtest86+x64.bin")
BOOT_IMG = GUEST_OUT / "boot.img"
EXIT_NO_BOOT = 4
MULTIBOOT_OK = (0x10 << 1) | 1  # the test kernel writes 0x10 to debug-exit


class Guest:
    """One vmon process whose console is read as it runs and written to."""

    def __init__(self, *args, name="vm"):
        self.name = name
        self.args = [str(VMON), "run", *map(str, args)]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._out, self._err = bytearray(), bytearray()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._pump, args=(s, b), daemon=True)
                         for s, b in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))]
        for t in self._threads:
            t.start()

    def _pump(self, stream, buf):
        for chunk in iter(lambda: stream.read1(4096), b""):
            with self._lock:
                buf += chunk

    @property
    def out(self):
        with self._lock:
            return self._out.decode(errors="replace")

    @property
    def err(self):
        with self._lock:
            return self._err.decode(errors="replace")

    def __repr__(self):
        return (f"{self.name}: {' '.join(self.args)}\nrc={self.proc.poll()}\n--- stdout ---\n"
                f"{self.out[-3000:]}\n--- stderr ---\n{self.err[-3000:]}")

    def wait_for(self, *texts, timeout=300):
        """Waits until every text has appeared on the console; returns the
        seconds since the start."""
        deadline = time.monotonic() + timeout
        while not all(t in self.out for t in texts):
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the readers drain the pipes
                if all(t in self.out for t in texts):
                    break
                raise AssertionError(f"{self.name} exited before printing {texts!r}\n{self!r}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {texts!r} within {timeout}s\n{self!r}")
            time.sleep(0.1)
        return time.monotonic() - self.started

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def wait(self, timeout=120):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not stop within {timeout}s\n{self!r}")
        for t in self._threads:
            t.join(timeout=5)
        return rc

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


def report_time(what, seconds):
    print(f"\n[timing] {what}: {seconds:.1f} s under emu")


@pytest.fixture(scope="session")
def seabios():
    if not SEABIOS.exists():
        pytest.fail(f"{SEABIOS} missing (scripts/install-deps.sh installs seabios)")
    return SEABIOS


@pytest.fixture(scope="session")
def boot_img():
    """guest/out/boot.img, built (or taken from its cache) by guest/make-bootdisk.sh."""
    if not (GUEST_OUT / "debian-vmlinuz").exists():
        pytest.fail("guest/out/debian-vmlinuz missing (run guest/fetch-debian-kernel.sh)")
    subprocess.run(["bash", str(ROOT / "guest" / "make-bootdisk.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    return BOOT_IMG


@pytest.fixture(scope="session")
def multiboot_kernel():
    def path(name):
        p = TEST_GUESTS / name
        assert p.exists(), f"test guest {p} not built"
        return p
    return path


# --- SeaBIOS -----------------------------------------------------------------

def test_seabios_banner_and_no_bootable_device(seabios):
    start = time.monotonic()
    r = run_vmon("run", "--accel", "emu", "--boot-timeout", "1", timeout=120)
    report_time("SeaBIOS to 'No bootable device' and exit (timeout 1 s)",
                time.monotonic() - start)
    assert r.rc == EXIT_NO_BOOT, r
    assert "SeaBIOS (version" in r.out, r
    assert "No bootable device" in r.out, r


def test_boot_timeout_is_honoured(seabios):
    start = time.monotonic()
    r = run_vmon("run", "--accel", "emu", "--boot-timeout", "4", timeout=120)
    elapsed = time.monotonic() - start
    assert r.rc == EXIT_NO_BOOT, r
    assert "No bootable device" in r.out, r
    # The timeout runs on the host's clock from the firmware's message.
    assert 4 <= elapsed < 4 + 20, elapsed


def test_disk_without_boot_sector_exits_4(seabios, tmp_path):
    img = tmp_path / "blank.img"
    img.write_bytes(bytes(1 << 20))
    r = run_vmon("run", "--accel", "emu", "--disk", img, "--boot-timeout", "1", timeout=120)
    assert r.rc == EXIT_NO_BOOT, r
    assert "Booting from Hard Disk" in r.out, r
    assert "No bootable device" in r.out, r


def test_seabios_boots_the_disk_to_the_shell(seabios, boot_img):
    g = Guest("--accel", "emu", "--disk", f"{boot_img},ro=on", "--mem", "512M", name="bootdisk")
    try:
        g.wait_for("SeaBIOS (version", timeout=60)
        g.wait_for("SYSLINUX", timeout=120)
        t = g.wait_for("vmon guest ready: kernel=6.1", timeout=400)
        report_time("SeaBIOS -> syslinux -> Debian 6.1 kernel -> shell", t)
        g.send("echo disk-guest-$((6 * 7)); grep -c vda /proc/partitions; poweroff -f")
        g.wait_for("disk-guest-42", timeout=120)
        assert g.wait() == 0, g
    finally:
        g.kill()


# --- memtest86+ ----------------------------------------------------------------

def test_memtest86_detects_cpus_and_ram_and_tests(tmp_path):
    if not MEMTEST.exists():
        pytest.fail(f"{MEMTEST} missing (scripts/install-deps.sh installs memtest86+)")
    g = Guest("--accel", "emu", "--kernel", MEMTEST, "--cmdline", "console=ttyS0",
              "--cpus", "2", "--mem", "256M", name="memtest")
    try:
        t = g.wait_for("Memtest86+ v6", "CPU: 2 Cores", "Memory  :  256MB", timeout=120)
        t = g.wait_for("#0  [Address test", timeout=120)
        report_time("memtest86+ to its first test", t)
        assert g.proc.poll() is None, g
        assert "Errors: 0" in g.out, g
    finally:
        assert g.kill(signal.SIGTERM) == 128 + signal.SIGTERM, g


# --- Multiboot and debug-exit ---------------------------------------------------

@pytest.mark.parametrize("image", ["multiboot.elf", "multiboot_aout.bin"])
def test_multiboot_kernel(multiboot_kernel, tmp_path, image):
    mod1 = tmp_path / "first.txt"
    mod1.write_bytes(b"hello\n")
    mod2 = tmp_path / "second.bin"
    mod2.write_bytes(os.urandom(10000))
    r = run_vmon("run", "--accel", "emu", "--kernel", multiboot_kernel(image),
                 "--cmdline", "hello from the command line", "--initrd", mod1,
                 "--module", f"{mod2},x=1 y=2", "--device", "debug-exit", timeout=60)
    assert r.rc == MULTIBOOT_OK, r
    assert "multiboot: magic ok" in r.out, r
    assert "loader: vmon" in r.out, r
    assert "cmdline: 'hello from the command line'" in r.out, r
    assert "modules: 0x00000002" in r.out, r
    assert f"size 0x00000006 aligned 0x00000000 string '{mod1}'" in r.out, r
    assert f"size 0x00002710 aligned 0x00000000 string '{mod2} x=1 y=2'" in r.out, r
    # The memory map: conventional memory, the BIOS area, RAM from 1 MiB.
    assert "mmap: base 0x0000000000000000 len 0x000000000009fc00 type 0x00000001" in r.out, r
    assert "mmap: base 0x000000000009fc00 len 0x0000000000060400 type 0x00000002" in r.out, r
    assert "mmap: base 0x0000000000100000 len 0x000000000ff00000 type 0x00000001" in r.out, r
    assert "mem_lower: 0x0000027f KiB mem_upper: 0x0003fc00 KiB" in r.out, r


def test_debug_exit_port_is_configurable(multiboot_kernel):
    # Moved away from 0xf4, the test kernel's write goes nowhere and it
    # powers off through ACPI instead.
    r = run_vmon("run", "--accel", "emu", "--kernel", multiboot_kernel("multiboot.elf"),
                 "--device", "debug-exit,iobase=0x501,iosize=1", timeout=60)
    assert r.rc == 0 and "multiboot: done" in r.out, r
    r = run_vmon("run", "--accel", "emu", "--kernel", multiboot_kernel("multiboot.elf"),
                 "--device", "debug-exit,iobase=0xf4,iosize=2", timeout=60)
    assert r.rc == MULTIBOOT_OK, r


# --- Bad input -------------------------------------------------------------------

def bad(*args):
    r = run_vmon("run", "--accel", "emu", *args, timeout=30)
    assert r.rc == 2, r
    lines = [l for l in r.err.splitlines() if l.strip()]
    assert len(lines) == 1, r
    return lines[0]


def test_bad_firmware_files(tmp_path):
    missing = tmp_path / "nope.bin"
    assert "nope.bin" in bad("--firmware", missing)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert "empty" in bad("--firmware", empty)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(256 * 1024 + 1))
    line = bad("--firmware", big)
    assert "big.bin" in line and "256 KiB" in line, line
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(64 * 1024))
    line = bad("--firmware", junk)
    assert "junk.bin" in line and "not a BIOS image" in line, line


def test_bad_multiboot_kernels(multiboot_kernel, tmp_path):
    good = multiboot_kernel("multiboot_aout.bin").read_bytes()
    off = good.find((0x1BADB002).to_bytes(4, "little"))
    assert off >= 0
    broken = bytearray(good)
    broken[off + 8] ^= 1
    (tmp_path / "cksum.bin").write_bytes(broken)
    line = bad("--kernel", tmp_path / "cksum.bin")
    assert "checksum" in line and "cksum.bin" in line, line
    # Load address in the MMIO hole (header_addr and load_addr moved together).
    outside = bytearray(good)
    for field in (12, 16, 28):  # header_addr, load_addr, entry_addr
        v = int.from_bytes(outside[off + field:off + field + 4], "little")
        outside[off + field:off + field + 4] = (v + 0xd0000000 - 0x100000).to_bytes(4, "little")
    (tmp_path / "outside.bin").write_bytes(outside)
    line = bad("--kernel", tmp_path / "outside.bin")
    assert "not in guest RAM" in line and "outside.bin" in line, line


def test_bad_options(default_guest, tmp_path, multiboot_kernel):
    mod = tmp_path / "m"
    mod.write_bytes(b"x")
    line = bad("--kernel", default_guest["kernel"], "--module", mod)
    assert "--module" in line and "Multiboot" in line, line
    assert "--module" in bad("--module", mod)
    assert "unknown device" in bad("--kernel", default_guest["kernel"], "--device", "fdc")
    assert "iosize" in bad("--kernel", default_guest["kernel"], "--device", "debug-exit,iosize=3")
    assert "--boot-timeout" in bad("--boot-timeout", "soon")
    assert "--initrd" in bad("--initrd", default_guest["initrd"])
    assert "missing.mod" in bad("--kernel", multiboot_kernel("multiboot.elf"),
                                "--module", tmp_path / "missing.mod")
