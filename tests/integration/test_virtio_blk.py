"""virtio-blk under the software CPU: the guest reads and writes disk images
(ext4 made on the host with mke2fs -d, read back with debugfs), over both
transports; read-only disks, serials, root on a disk, flushes that survive
kill -9, and the one-line errors for bad --disk options."""
import fcntl
import hashlib
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import GUEST_OUT, ROOT, VMON, run_vmon

TRANSPORTS = ["pci", "mmio"]
# The default guest's /etc/vmon-test.bin (guest/build.sh, make_test_file).
TEST_BIN = b"".join(hashlib.sha256(b"vmon-test-%d" % i).digest() for i in range(32768))


def boot(guest, cmd, *extra, timeout=300):
    return run_vmon("run", "--kernel", guest["kernel"], "--initrd", guest["initrd"],
                    "--accel", "emu", "--cmdline", f"console=ttyS0 quiet -- {cmd}", *extra,
                    timeout=timeout)


def guest_ok(r):
    assert r.rc == 0, r
    assert "vmon guest exit status: 0" in r.out, r


def make_ext4(path, files=None, size="32M"):
    """An ext4 image built from a directory of files, no root needed."""
    stage = path.parent / (path.name + ".d")
    stage.mkdir()
    for name, data in (files or {}).items():
        (stage / name).write_bytes(data)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(stage), str(path), size],
                   check=True, capture_output=True)
    return path


def debugfs_cat(img, name):
    r = subprocess.run(["debugfs", "-R", f"cat /{name}", str(img)], capture_output=True,
                       check=True)
    return r.stdout


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_guest_writes_files_the_host_reads_back(default_guest, tmp_path, transport):
    img = make_ext4(tmp_path / "disk.ext4", {"from-host.txt": b"written by the host\n"})
    cmd = ("mount /dev/vda /mnt && cat /mnt/from-host.txt && seq 1 5000 > /mnt/numbers && "
           "cp /etc/vmon-test.bin /mnt/blob && sync && umount /mnt && echo unmounted")
    r = boot(default_guest, cmd, "--disk", img, "--virtio-transport", transport)
    guest_ok(r)
    assert "written by the host" in r.out and "unmounted" in r.out, r
    assert debugfs_cat(img, "numbers") == "".join(f"{i}\n" for i in range(1, 5001)).encode()
    assert debugfs_cat(img, "blob") == TEST_BIN
    fsck = subprocess.run(["e2fsck", "-fn", str(img)], capture_output=True)
    assert fsck.returncode == 0, fsck.stdout.decode()


def test_cache_none_and_two_vcpus(default_guest, tmp_path):
    img = tmp_path / "raw.img"
    img.write_bytes(b"\0" * (4 << 20))
    cmd = ("dmesg | grep 'virtio_blk.*queues'; "
           "dd if=/etc/vmon-test.bin of=/dev/vda bs=64k conv=fsync 2>/dev/null && "
           "dd if=/dev/vda bs=64k count=16 2>/dev/null | sha256sum")
    r = boot(default_guest, cmd, "--disk", f"{img},cache=none", "--cpus", "2")
    guest_ok(r)
    assert "2/0/0 default/read/poll queues" in r.out, r
    data = img.read_bytes()[:1 << 20]
    assert data == TEST_BIN, "the image does not hold what the guest wrote"
    assert hashlib.sha256(data).hexdigest() in r.out, r


def test_read_only_disk_refuses_writes(default_guest, tmp_path):
    img = make_ext4(tmp_path / "ro.ext4", {"keep.txt": b"keep me\n"})
    before = sha(img)
    cmd = ("cat /sys/block/vda/ro; mount -o ro /dev/vda /mnt && cat /mnt/keep.txt; "
           "if dd if=/dev/zero of=/dev/vda bs=512 count=1 2>/dev/null; then echo WROTE; "
           "else echo write refused; fi; umount /mnt")
    r = boot(default_guest, cmd, "--disk", f"{img},ro=on")
    guest_ok(r)
    assert re.search(r"^1\s*$", r.out, re.M), r
    assert "keep me" in r.out and "write refused" in r.out and "WROTE" not in r.out, r
    assert sha(img) == before


def test_two_disks_in_order_with_serials(default_guest, tmp_path):
    a, b = tmp_path / "a.img", tmp_path / "b.img"
    a.write_bytes(b"A" * (1 << 20))
    b.write_bytes(b"B" * (2 << 20))
    cmd = ("for d in vda vdb; do echo $d $(cat /sys/block/$d/serial) $(cat /sys/block/$d/size) "
           "$(head -c 4 /dev/$d); done")
    r = boot(default_guest, cmd, "--disk", f"{a},serial=first-disk",
             "--disk", f"{b},serial=SECOND,ro=on", "--virtio-transport", "mmio")
    guest_ok(r)
    assert "vda first-disk 2048 AAAA" in r.out, r
    assert "vdb SECOND 4096 BBBB" in r.out, r


def test_root_on_a_disk(tmp_path):
    subprocess.run(["bash", str(ROOT / "guest" / "make-rootfs.sh")], check=True,
                   capture_output=True)
    root = tmp_path / "root.ext4"
    subprocess.run(["cp", "--sparse=always", str(GUEST_OUT / "rootfs.ext4"), str(root)],
                   check=True)
    r = run_vmon("run", "--kernel", GUEST_OUT / "bzImage", "--accel", "emu", "--disk", root,
                 "--cmdline", "console=ttyS0 quiet root=/dev/vda rw -- "
                 "grep ' / ' /proc/mounts; echo from the root disk > /root/note", timeout=300)
    guest_ok(r)
    assert "vmon guest ready:" in r.out, r
    assert re.search(r"^/dev/root / ext4 rw", r.out, re.M), r
    assert debugfs_cat(root, "root/note") == b"from the root disk\n"


def test_flushed_data_survives_kill_9(default_guest, tmp_path):
    img = tmp_path / "k.img"
    img.write_bytes(b"\0" * (1 << 20))
    cmd = ("printf 'flushed-before-the-kill' | dd of=/dev/vda conv=fsync 2>/dev/null && "
           "echo FLUSHED && sleep 600")
    p = subprocess.Popen([str(VMON), "run", "--kernel", str(default_guest["kernel"]),
                          "--initrd", str(default_guest["initrd"]), "--accel", "emu",
                          "--disk", str(img), "--cmdline", f"console=ttyS0 quiet -- {cmd}"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    out = b""
    deadline = time.time() + 300
    try:
        while b"FLUSHED" not in out and time.time() < deadline:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert b"FLUSHED" in out, out[-2000:]
    assert img.read_bytes().startswith(b"flushed-before-the-kill")


# --- Bad input: exit status 2, one line on stderr, the image untouched ---

def bad(*args):
    r = run_vmon("run", "--kernel", GUEST_OUT / "bzImage", "--accel", "emu", *args, timeout=30)
    assert r.rc == 2, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r
    assert r.out == "", r
    return lines[0]


def test_missing_image(tmp_path):
    path = tmp_path / "nope.img"
    msg = bad("--disk", path)
    assert str(path) in msg and "No such file" in msg
    assert not path.exists()


def test_image_size_not_a_multiple_of_512(tmp_path):
    img = tmp_path / "odd.img"
    img.write_bytes(b"x" * 1000)
    msg = bad("--disk", img)
    assert str(img) in msg and "512" in msg
    assert img.read_bytes() == b"x" * 1000


def test_locked_image(tmp_path):
    img = tmp_path / "busy.img"
    img.write_bytes(b"\0" * 4096)
    with open(img, "rb") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        msg = bad("--disk", img)
        assert str(img) in msg and "locked" in msg
        # A shared holder keeps writers out but lets readers in.
        fcntl.flock(f, fcntl.LOCK_SH)
        msg = bad("--disk", img)
        assert "locked" in msg
        r = run_vmon("run", "--kernel", GUEST_OUT / "bzImage", "--accel", "emu", "--disk",
                     f"{img},ro=on", "--mem", "1", timeout=30)
        assert r.rc == 2 and "locked" not in r.err, r  # got past the disk, to --mem


def test_unreadable_image(tmp_path):
    d = tmp_path / "dir.img"
    d.mkdir()
    msg = bad("--disk", d)
    assert str(d) in msg


@pytest.mark.parametrize("opt, words", [
    ("ro=maybe", ["ro=maybe"]),
    ("cache=unsafe", ["cache=unsafe"]),
    ("serial=" + "x" * 21, ["serial"]),
    ("serial=has space", ["serial"]),
    ("bogus=1", ["bogus"]),
    ("justaword", ["justaword"]),
])
def test_malformed_disk_options(tmp_path, opt, words):
    img = tmp_path / "ok.img"
    img.write_bytes(b"\0" * 4096)
    msg = bad("--disk", f"{img},{opt}")
    assert msg.startswith(f"vmon: --disk {img}"), msg
    for w in words:
        assert w in msg, msg


def test_bad_transport_and_rng_options():
    assert "--virtio-transport" in bad("--virtio-transport", "isa")
    assert "--rng" in bad("--rng", "maybe")
    assert "--disk" in bad("--disk", ",ro=on")


def test_too_many_disks(tmp_path):
    args = []
    for i in range(9):
        p = tmp_path / f"d{i}.img"
        p.write_bytes(b"\0" * 512)
        args += ["--disk", p]
    assert "at most 8" in bad(*args)
