"""Shared fixtures for vmon's integration tests: they boot real guests and
read what they print on the serial console."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("VMON_BUILD", ROOT / "build"))
VMON = BUILD / "src" / "cli" / "vmon"
GUEST_OUT = ROOT / "guest" / "out"
TEST_GUESTS = BUILD / "tests" / "guest"


class Result:
    def __init__(self, proc, out, err):
        self.rc = proc.returncode
        self.out = out
        self.err = err

    def __repr__(self):
        return f"rc={self.rc}\n--- stdout ---\n{self.out[-4000:]}\n--- stderr ---\n{self.err[-4000:]}"


def run_vmon(*args, timeout=120, stdin=subprocess.DEVNULL, env=None):
    """Runs vmon with args; returns a Result (rc, out, err as text)."""
    proc = subprocess.Popen([str(VMON), *map(str, args)], stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"vmon timed out after {timeout}s:\n{out.decode(errors='replace')[-4000:]}\n{err.decode(errors='replace')[-4000:]}")
    return Result(proc, out.decode(errors="replace"), err.decode(errors="replace"))


def kvm_present():
    return os.path.exists("/dev/kvm")


@pytest.fixture(scope="session")
def vmon():
    assert VMON.exists(), f"{VMON} is not built (run scripts/build.sh)"
    return VMON


@pytest.fixture(scope="session")
def default_guest():
    kernel = GUEST_OUT / "bzImage"
    initrd = GUEST_OUT / "initramfs.cpio.gz"
    assert kernel.exists() and initrd.exists(), "default guest not built (guest/build.sh)"
    return {"kernel": kernel, "initrd": initrd, "vmlinux": GUEST_OUT / "vmlinux"}


@pytest.fixture(scope="session")
def test_guest():
    def path(name):
        p = TEST_GUESTS / f"{name}.elf"
        assert p.exists(), f"test guest {p} not built"
        return p
    return path


@pytest.fixture(scope="session")
def kvm():
    """Tests that need /dev/kvm fail (not skip) when it is present but broken."""
    if not kvm_present():
        pytest.skip("this host has no /dev/kvm")
    assert os.access("/dev/kvm", os.R_OK | os.W_OK), "/dev/kvm exists but is not accessible"
    return True
