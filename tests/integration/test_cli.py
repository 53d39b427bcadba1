"""The command line: help, version, and every bad-input case gets one clear
line naming the thing and the problem, exit status 2 and no core dump."""
import os
import subprocess

from conftest import run_vmon


def test_help_and_version(vmon):
    r = run_vmon("--help")
    assert r.rc == 0 and "Usage: vmon COMMAND" in r.out
    r = run_vmon("run", "--help")
    assert r.rc == 0
    for opt in ("--kernel", "--initrd", "--cmdline", "--mem", "--cpus", "--accel", "--on-reboot"):
        assert opt in r.out
    assert "Exit status" in r.out
    r = run_vmon("--version")
    assert r.rc == 0 and r.out.startswith("vmon ")


def one_error_line(r, *words):
    assert r.rc == 2, r
    lines = [l for l in r.err.splitlines() if l.strip()]
    assert len(lines) == 1, r
    for w in words:
        assert w in lines[0], r
    assert r.out == ""


def test_no_command(vmon):
    r = run_vmon()
    assert r.rc == 2


def test_unknown_command_and_option(vmon):
    one_error_line(run_vmon("frobnicate"), "unknown command", "frobnicate")
    one_error_line(run_vmon("run", "--kernel", "x", "--bogus"), "unknown option", "--bogus")
    one_error_line(run_vmon("run", "--kernel"), "--kernel", "needs a value")
    one_error_line(run_vmon("run", "--kernel", "x", "extra"), "unexpected argument", "extra")


def test_bad_sizes_and_counts(vmon, test_guest):
    k = test_guest("hello")
    one_error_line(run_vmon("run", "--kernel", k, "--mem", "0"), "--mem")
    one_error_line(run_vmon("run", "--kernel", k, "--mem", "12Q"), "--mem", "12Q")
    one_error_line(run_vmon("run", "--kernel", k, "--mem", "-5M"), "--mem")
    one_error_line(run_vmon("run", "--kernel", k, "--mem", "1K"), "--mem")
    one_error_line(run_vmon("run", "--kernel", k, "--cpus", "0"), "--cpus")
    one_error_line(run_vmon("run", "--kernel", k, "--cpus", "65"), "--cpus")
    one_error_line(run_vmon("run", "--kernel", k, "--cpus", "two"), "--cpus")
    one_error_line(run_vmon("run", "--kernel", k, "--accel", "xen"), "--accel", "xen")
    one_error_line(run_vmon("run", "--kernel", k, "--on-reboot", "panic"), "--on-reboot")
    one_error_line(run_vmon("run", "--kernel", k, "--decompress", "cpu"),
                   "--decompress", "cpu")


def test_missing_and_unreadable_files(vmon, tmp_path, test_guest):
    one_error_line(run_vmon("run", "--kernel", tmp_path / "nope"), "--kernel", "nope",
                   "No such file")
    one_error_line(run_vmon("run", "--kernel", tmp_path), "--kernel", "directory")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    one_error_line(run_vmon("run", "--kernel", empty), "--kernel", "empty")
    one_error_line(run_vmon("run", "--kernel", test_guest("hello"), "--initrd",
                            tmp_path / "none.img"), "--initrd", "none.img")


def test_not_a_kernel(vmon, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(64 * 1024))
    one_error_line(run_vmon("run", "--kernel", junk, "--accel", "kvm"), "kernel", "junk.bin")
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a kernel\n" * 100)
    one_error_line(run_vmon("run", "--kernel", text, "--accel", "kvm"), "kernel")


def test_truncated_kernels(vmon, tmp_path, default_guest):
    for name, src in (("bzImage", default_guest["kernel"]), ("vmlinux", default_guest["vmlinux"])):
        data = src.read_bytes()
        for cut in (64, 600, 4096, len(data) // 2):
            t = tmp_path / f"{name}.{cut}"
            t.write_bytes(data[:cut])
            r = run_vmon("run", "--kernel", t, "--accel", "kvm")
            one_error_line(r, "kernel")
