"""virtio-vsock under the software CPU, Firecracker's host model: a host
program reaches a guest server through the Unix socket PATH ("CONNECT
<port>"), a guest client reaches a host listener at PATH_<port>; bytes are
checked both ways over both transports. Bad --vsock input and socket paths
are refused before the guest starts; the socket file goes away at exit."""
import os
import socket
import subprocess
import threading
import time

import pytest

from conftest import VMON, run_vmon


def vmon_args(guest, uds, cmd, *extra, cid=3):
    return [str(VMON), "run", "--kernel", str(guest["kernel"]), "--initrd", str(guest["initrd"]),
            "--accel", "emu", "--vsock", f"cid={cid},uds={uds}",
            "--cmdline", f"console=ttyS0 quiet -- {cmd}", *extra]


def host_connect(uds, port, deadline):
    """Connects through PATH with CONNECT until the guest server accepts
    (it may not listen yet: the guest then answers RST and vmon closes)."""
    while time.time() < deadline:
        if os.path.exists(uds):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(30)
            try:
                s.connect(str(uds))
                s.sendall(f"CONNECT {port}\n".encode())
                line = b""
                while not line.endswith(b"\n"):
                    b = s.recv(1)
                    if not b:
                        break
                    line += b
                if line.startswith(b"OK "):
                    return s, line
            except OSError:
                pass
            s.close()
        time.sleep(0.2)
    raise AssertionError("the guest server never accepted")


@pytest.mark.parametrize("transport", ["pci", "mmio"])
def test_host_to_guest(default_guest, transport, tmp_path):
    uds = tmp_path / "v.sock"
    proc = subprocess.Popen(vmon_args(default_guest, uds, "vsock echo 1234; echo served-$?",
                                      "--virtio-transport", transport),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        s, line = host_connect(uds, 1234, time.time() + 120)
        assert int(line.split()[1]) > 1024, line
        payload = bytes(range(256)) * 400  # 100 KiB: more than one credit window
        received = bytearray()

        def reader():
            while len(received) < len(payload):
                b = s.recv(65536)
                if not b:
                    break
                received.extend(b)
        t = threading.Thread(target=reader)
        t.start()
        s.sendall(payload)
        t.join(60)
        assert bytes(received) == payload
        s.close()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    out = out.decode(errors="replace")
    assert proc.returncode == 0, out + err.decode(errors="replace")
    assert "served-0" in out, out
    assert not uds.exists()  # removed at exit


@pytest.mark.parametrize("transport", ["pci", "mmio"])
def test_guest_to_host(default_guest, transport, tmp_path):
    uds = tmp_path / "v.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(f"{uds}_5000")
    listener.listen(1)
    listener.settimeout(120)
    got = []

    def server():
        c, _ = listener.accept()
        data = b""
        while True:
            b = c.recv(4096)
            if not b:
                break
            data += b
        got.append(data)
        c.sendall(b"reply:" + data.upper())
        c.close()
    t = threading.Thread(target=server)
    t.start()
    cmd = ("echo from-guest | vsock connect 2 5000; echo; "
           "vsock connect 2 5001 </dev/null; echo refused-rc=$?")
    r = subprocess.run(vmon_args(default_guest, uds, cmd, "--virtio-transport", transport, cid=7),
                       capture_output=True, timeout=300)
    t.join(10)
    listener.close()
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, out + r.stderr.decode(errors="replace")
    assert got == [b"from-guest\n"]
    assert "reply:FROM-GUEST" in out, out
    assert "refused-rc=1" in out, out  # nobody at PATH_5001: reset
    assert not uds.exists()


def one_line_refusal(r, *words):
    assert r.rc == 2, r
    assert r.out == "", r
    lines = r.err.strip().split("\n")
    assert len(lines) == 1, r
    for w in words:
        assert w in lines[0], r


@pytest.mark.parametrize("arg,word", [
    ("cid=2,uds=/tmp/x.sock", "cid=2"),
    ("cid=abc,uds=/tmp/x.sock", "cid=abc"),
    ("cid=4294967295,uds=/tmp/x.sock", "cid="),
    ("cid=3", "uds=PATH"),
    ("uds=/tmp/x.sock", "cid=N"),
    ("cid=3,uds=/tmp/x.sock,port=1", "port"),
    ("cid=3,uds=", "uds="),
])
def test_bad_vsock_option(default_guest, arg, word):
    r = run_vmon("run", "--kernel", default_guest["kernel"], "--vsock", arg)
    one_line_refusal(r, "--vsock", word)


def test_bad_socket_paths(default_guest, tmp_path):
    base = ["run", "--kernel", default_guest["kernel"], "--initrd", default_guest["initrd"],
            "--accel", "emu", "--cmdline", "console=ttyS0 quiet -- true"]
    # Its directory does not exist.
    r = run_vmon(*base, "--vsock", f"cid=3,uds={tmp_path}/nodir/v.sock")
    one_line_refusal(r, "directory does not exist")
    # A regular file: refused and kept.
    f = tmp_path / "file"
    f.write_text("keep me")
    r = run_vmon(*base, "--vsock", f"cid=3,uds={f}")
    one_line_refusal(r, "not a socket")
    assert f.read_text() == "keep me"
    # In use by another program.
    busy = tmp_path / "busy.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(busy))
    s.listen(1)
    r = run_vmon(*base, "--vsock", f"cid=3,uds={busy}")
    one_line_refusal(r, "in use")
    assert busy.exists()
    s.close()
    # Now stale (nobody listens): replaced, the guest runs, the file is removed.
    r = run_vmon(*base, "--vsock", f"cid=3,uds={busy}", timeout=300)
    assert r.rc == 0 and "vmon guest exit status: 0" in r.out, r
    assert not busy.exists()


def test_socket_removed_when_stopped_by_signal(default_guest, tmp_path):
    uds = tmp_path / "v.sock"
    proc = subprocess.Popen(vmon_args(default_guest, uds, "sleep 60"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while not uds.exists() and time.time() < deadline:
            time.sleep(0.1)
        assert uds.exists()
        proc.terminate()
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + 15
    assert not uds.exists()
