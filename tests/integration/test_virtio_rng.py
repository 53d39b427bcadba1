"""virtio-rng under the software CPU: /dev/hwrng gives the guest bytes over
both transports, and --rng off removes the device."""
import pytest

from conftest import run_vmon


def boot(guest, cmd, *extra):
    return run_vmon("run", "--kernel", guest["kernel"], "--initrd", guest["initrd"],
                    "--accel", "emu", "--cmdline", f"console=ttyS0 quiet -- {cmd}", *extra,
                    timeout=300)


@pytest.mark.parametrize("transport", ["pci", "mmio"])
def test_hwrng_gives_bytes(default_guest, transport):
    r = boot(default_guest, "cat /sys/class/misc/hw_random/rng_current; "
             "head -c 64 /dev/hwrng | wc -c; head -c 4096 /dev/hwrng | od -An -tx1 | "
             "tr ' ' '\\n' | sort -u | grep -c .", "--virtio-transport", transport)
    assert r.rc == 0 and "vmon guest exit status: 0" in r.out, r
    body = r.out[r.out.index("vmon guest ready:"):].split("\n")
    lines = [l.strip() for l in body[1:] if l.strip()]
    assert lines[0].startswith("virtio_rng"), r
    assert lines[1] == "64", r
    assert int(lines[2]) > 200, r  # 4 KiB of random bytes use most byte values


def test_rng_off_removes_the_device(default_guest):
    r = boot(default_guest, "ls /sys/bus/virtio/devices | wc -l; "
             "cat /sys/class/misc/hw_random/rng_available", "--rng", "off")
    assert r.rc == 0 and "vmon guest exit status: 0" in r.out, r
    body = r.out[r.out.index("vmon guest ready:"):]
    assert "\n0\n" in body.replace("\r", ""), r
    assert "virtio_rng" not in body, r
