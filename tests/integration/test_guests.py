"""The freestanding test guests of tests/guest/ on both CPU backends.

Each checking guest prints one line per check and a final PASS; its console
output must equal tests/guest/expected/NAME.txt exactly (the guest sends
CRLF line ends), under --accel emu and under --accel kvm, and vmon must exit
0. The misbehaving guests must end with vmon's triple-fault report and exit
status 1, never a vmon crash.

Expected failures are strict (an unexpected pass fails the run): vmon bugs
found by these guests (emu_bug, kvm_bug; none known now), and, on a
software-backed KVM such as this project's test host (vmon's own
probe says so: "cannot deliver a guest's user-mode SYSCALL"), the checks
that KVM cannot run there. On a hardware KVM they must pass.
"""
import re
from dataclasses import dataclass

import pytest

from conftest import ROOT, TEST_GUESTS, run_vmon

EXPECTED = ROOT / "tests" / "guest" / "expected"
ACCELS = ["emu", "kvm"]
SOFTWARE_KVM_WARNING = "cannot deliver a guest's user-mode SYSCALL"

# Why a check cannot pass on a software-backed KVM (kvm_pvm, which runs
# guest user code natively on the host's IDT and emulates kernel code).
HOST_SYSCALL = ("software-backed KVM: a CPL-3 SYSCALL starts its LSTAR handler at CPL 3 "
                "(saved CS 0x2b; its SWAPGS faults, or the fetch of a supervisor page in "
                "the upper half)")
HOST_USER_INT = "software-backed KVM: INT n at CPL 3 raises #UD for every n but 3"
HOST_NO_ISR = ("software-backed KVM: the LAPIC never sets the in-service bit of an accepted "
               "interrupt (PPR stays 0), so a vector without EOI does not block itself")
HOST_IRQ_WINDOW = ("software-backed KVM: a pending interrupt is injected only at the next exit "
                   "to the host, not once STI's shadow ends")


@dataclass(frozen=True)
class Case:
    guest: str
    check: str = ""                # the guest's check=... command-line group
    emu_bug: str = ""              # strict xfail under emu
    kvm_bug: str = ""              # strict xfail under kvm, on every host
    software_kvm_limit: str = ""   # strict xfail under kvm on a software-backed KVM

    @property
    def name(self):
        return f"{self.guest}-{self.check}" if self.check else self.guest


CASES = [
    Case("exceptions"),
    Case("privilege"),
    Case("privilege", "user-int", software_kvm_limit=HOST_USER_INT),
    Case("privilege", "syscall-low", software_kvm_limit=HOST_SYSCALL),
    Case("privilege", "syscall-high", software_kvm_limit=HOST_SYSCALL),
    Case("paging"),
    Case("timer"),
    Case("timer", "eoi", software_kvm_limit=HOST_NO_ISR),
    Case("pit_ioapic"),
    Case("rtc"),
    Case("sti_window", software_kvm_limit=HOST_IRQ_WINDOW),
]


@pytest.fixture(scope="session")
def software_kvm(kvm):
    """Whether vmon's probe finds this host's KVM software-backed."""
    r = run_vmon("run", "--kernel", TEST_GUESTS / "hello.elf", "--accel", "kvm", timeout=60)
    assert r.rc == 0 and "hello from 64-bit mode" in r.out, r
    return SOFTWARE_KVM_WARNING in r.err


def expect_failures(request, accel, emu_bug="", kvm_bug="", software_kvm_limit=""):
    """Marks the running test as a strict expected failure where it applies.
    Under kvm, first makes sure KVM is usable (the kvm fixture fails when
    /dev/kvm is present but broken)."""
    if accel == "emu":
        reason = emu_bug
    else:
        request.getfixturevalue("kvm")
        reason = kvm_bug
        if not reason and software_kvm_limit and request.getfixturevalue("software_kvm"):
            reason = software_kvm_limit
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def run_guest(test_guest, name, accel, *args):
    return run_vmon("run", "--kernel", test_guest(name), "--accel", accel, *args, timeout=60)


@pytest.mark.parametrize("accel", ACCELS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_guest_output_matches_golden(request, test_guest, case, accel):
    expect_failures(request, accel, case.emu_bug, case.kvm_bug, case.software_kvm_limit)
    args = ["--cmdline", f"check={case.check}"] if case.check else []
    r = run_guest(test_guest, case.guest, accel, *args)
    golden = (EXPECTED / f"{case.name}.txt").read_text()
    assert r.out == golden.replace("\n", "\r\n"), r
    assert r.rc == 0, r


def triple_fault_rip(r):
    """vmon's triple-fault report: exit 1, the message, the registers."""
    assert r.rc == 1, r
    assert "triple fault" in r.err, r
    m = re.search(r"rip=([0-9a-f]{16})", r.err)
    assert m, r
    return int(m.group(1), 16)


@pytest.mark.parametrize("accel", ACCELS)
def test_jump_to_unmapped_memory_triple_faults(request, test_guest, accel):
    expect_failures(request, accel)
    r = run_guest(test_guest, "wild_jump", accel)
    assert r.out == "vmon test guest wild_jump: jumping to unmapped memory with no IDT\r\n", r
    assert triple_fault_rip(r) == 0x100000000000, r


@pytest.mark.parametrize("accel", ACCELS)
def test_random_bytes_triple_fault(request, test_guest, accel):
    expect_failures(request, accel)
    r = run_guest(test_guest, "garbage", accel)
    assert r.out == "vmon test guest garbage: executing random bytes with no IDT\r\n", r
    # The bytes sit on the page after _start (garbage.S) and end in an
    # undefined opcode at offset 0x23 on every backend.
    assert triple_fault_rip(r) == 0x101023, r


@pytest.mark.parametrize("accel", ACCELS)
def test_undefined_opcode_without_idt_triple_faults(request, test_guest, accel):
    expect_failures(request, accel)
    r = run_guest(test_guest, "ud_no_idt", accel)
    assert r.out == "vmon test guest ud_no_idt: undefined opcode with no IDT\r\n", r
    assert 0x100000 <= triple_fault_rip(r) < 0x101000, r  # in the guest's code page
