"""The kvm backend: boots the freestanding test guests and the default guest's
kernel through /dev/kvm. These tests fail (not skip) when /dev/kvm is present
but broken."""
from conftest import run_vmon


def test_hello_guest_powers_off(kvm, test_guest):
    r = run_vmon("run", "--kernel", test_guest("hello"), "--accel", "kvm", timeout=60)
    assert r.rc == 0, r
    assert "vmon test guest: hello from 64-bit mode" in r.out


def test_triple_fault_exits_1_with_registers(kvm, test_guest):
    r = run_vmon("run", "--kernel", test_guest("triple_fault"), "--accel", "kvm", timeout=60)
    assert r.rc == 1, r
    assert "about to triple-fault" in r.out
    assert "triple fault" in r.err
    assert "rip=" in r.err and "cr0=" in r.err


def test_smp_guest_starts(kvm, test_guest):
    r = run_vmon("run", "--kernel", test_guest("hello"), "--accel", "kvm", "--cpus", "4",
                 timeout=60)
    assert r.rc == 0, r


def test_accel_auto_says_what_it_picked(kvm, test_guest):
    r = run_vmon("run", "--kernel", test_guest("hello"), timeout=60)
    assert "accel auto" in r.err, r
