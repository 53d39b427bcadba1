"""virtio-net under the software CPU: the default guest gets its address by
DHCP from the user-mode network and downloads a page from an HTTP server on
the host's loopback (10.0.2.2), the host reaches a guest TCP server through
hostfwd, a TAP device inside a network namespace carries traffic both ways,
two NICs, and the one-line errors for bad --net options."""
import contextlib
import functools
import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest

from conftest import VMON, run_vmon

TRANSPORTS = ["pci", "mmio"]
DHCP = "udhcpc -i eth0 -n -q -t 5 -T 1 >/dev/null 2>&1"
BLOB = hashlib.sha256(b"vmon-net").digest() * 16384  # 512 KiB


def boot(guest, cmd, *extra, timeout=120, wrap=()):
    args = [*wrap, str(VMON), "run", "--kernel", str(guest["kernel"]), "--initrd",
            str(guest["initrd"]), "--accel", "emu", "--cmdline",
            f"console=ttyS0 quiet -- {cmd}", *map(str, extra)]
    return run_vmon_argv(args, timeout)


def run_vmon_argv(argv, timeout):
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)

    class R:
        rc = proc.returncode
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")

        def __repr__(self):
            return f"rc={self.rc}\n--- stdout ---\n{self.out[-4000:]}\n--- stderr ---\n{self.err[-4000:]}"
    return R()


def guest_ok(r):
    assert r.rc == 0, r
    assert "vmon guest exit status: 0" in r.out, r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def http_server(directory, host="127.0.0.1"):
    """A threaded HTTP server on host serving directory; yields its port."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer((host, 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


# --- User-mode networking (libslirp) ---

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dhcp_and_download_from_host(default_guest, tmp_path, transport):
    (tmp_path / "blob").write_bytes(BLOB)
    with http_server(tmp_path) as port:
        cmd = (f"{DHCP} && ip -4 addr show eth0 && ip route && "
               f"wget -q -O - http://10.0.2.2:{port}/blob | sha256sum")
        r = boot(default_guest, cmd, "--net", "user", "--virtio-transport", transport)
    guest_ok(r)
    assert "inet 10.0.2.15/24" in r.out, r
    assert "default via 10.0.2.2" in r.out, r
    assert hashlib.sha256(BLOB).hexdigest() in r.out, r


def talk(port, msg, deadline):
    """Connects to 127.0.0.1:port until the guest answers; returns its reply
    line. The connection is closed only once the reply is in: busybox nc
    quits at the peer's end of stream, maybe before sending its own."""
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
                c.sendall(msg)
                data = b""
                while not data.endswith(b"\n"):
                    b = c.recv(65536)
                    if not b:
                        break
                    data += b
                if data:
                    return data
        except OSError:
            pass
        time.sleep(0.2)
    return b""


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_hostfwd_reaches_guest_server(default_guest, transport):
    port = free_port()
    # The guest answers one connection on port 8000 with a line and prints
    # what it was sent.
    cmd = (f"{DHCP} && echo pong-from-guest | nc -l -p 8000 > /tmp/req && "
           "echo \"guest got: $(cat /tmp/req)\"")
    reply = {}

    def client():
        reply["data"] = talk(port, b"ping-from-host\n", time.time() + 60)

    t = threading.Thread(target=client)
    t.start()
    r = boot(default_guest, cmd, "--net", f"user,hostfwd=tcp:127.0.0.1:{port}-:8000",
             "--virtio-transport", transport)
    t.join()
    guest_ok(r)
    assert reply["data"] == b"pong-from-guest\n", (reply, r)
    assert "guest got: ping-from-host" in r.out, r


def test_udp_hostfwd_is_bound_while_running(default_guest):
    """A UDP forward's host port belongs to vmon while the VM runs (the
    default guest's busybox nc has no UDP mode to carry a datagram)."""
    port = free_port()
    seen = {}

    def probe():
        end = time.time() + 60
        while time.time() < end and "taken" not in seen:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    seen["taken"] = True
            time.sleep(0.05)

    t = threading.Thread(target=probe)
    t.start()
    r = boot(default_guest, "sleep 2", "--net", f"user,hostfwd=udp:127.0.0.1:{port}-:53")
    seen.setdefault("taken", False)
    t.join()
    guest_ok(r)
    assert seen["taken"], "the UDP port was never bound"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))  # and released at exit


def test_guest_uploads_to_host(default_guest):
    """A bulk TCP transfer from the guest (large GSO frames cut in software
    for slirp) arrives intact."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(60)
    port = srv.getsockname()[1]
    got = {}

    def receive():
        h, n = hashlib.sha256(), 0
        try:
            c, _ = srv.accept()
            with c:
                while True:
                    b = c.recv(1 << 20)
                    if not b:
                        break
                    h.update(b)
                    n += len(b)
        except OSError:
            pass
        got["sha"], got["n"] = h.hexdigest(), n

    t = threading.Thread(target=receive)
    t.start()
    cmd = (f"{DHCP} && cat /etc/vmon-test.bin /etc/vmon-test.bin | nc 10.0.2.2 {port} && "
           "cat /etc/vmon-test.bin /etc/vmon-test.bin | sha256sum")
    r = boot(default_guest, cmd, "--net", "user")
    t.join()
    srv.close()
    guest_ok(r)
    assert got["n"] == 2 << 20, (got, r)
    assert got["sha"] in r.out, r


def test_two_nics(default_guest):
    cmd = ("cat /sys/class/net/eth0/address /sys/class/net/eth1/address && "
           "udhcpc -i eth1 -n -q -t 5 -T 1 >/dev/null 2>&1 && ip -4 addr show eth1 && "
           "ping -c 1 -W 5 -I eth1 10.0.2.2 >/dev/null && echo eth1-ping-ok")
    r = boot(default_guest, cmd, "--net", "user", "--net", "user,mac=52:54:00:aa:bb:cc")
    guest_ok(r)
    assert "52:54:00:12:34:56\n52:54:00:aa:bb:cc" in r.out.replace("\r", ""), r
    assert "inet 10.0.2.15/24" in r.out and "eth1-ping-ok" in r.out, r


def test_default_macs_are_distinct(default_guest):
    r = boot(default_guest, "cat /sys/class/net/eth*/address", "--net", "user", "--net", "user",
             "--net", "user")
    guest_ok(r)
    out = r.out.replace("\r", "")
    assert "52:54:00:12:34:56\n52:54:00:12:34:57\n52:54:00:12:34:58" in out, r


# --- TAP inside a network namespace ---

def have_netns():
    return os.geteuid() == 0 and shutil.which("ip") and os.path.exists("/dev/net/tun")


@contextlib.contextmanager
def netns_with_tap(tap="vmtap0", host_addr="192.168.77.1/24"):
    ns = "vmon-net-" + uuid.uuid4().hex[:8]
    sh = lambda *a: subprocess.run(["ip", "netns", "exec", ns, *a], check=True,
                                   capture_output=True)
    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
    try:
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "tuntap", "add", "dev", tap, "mode", "tap")
        sh("ip", "addr", "add", host_addr, "dev", tap)
        sh("ip", "link", "set", tap, "up")
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.mark.skipif(not have_netns(), reason="needs root, ip and /dev/net/tun")
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_tap_traffic_both_ways(default_guest, tmp_path, transport):
    (tmp_path / "blob").write_bytes(BLOB)
    with netns_with_tap() as ns:
        # In the namespace: an HTTP server for the guest to download from,
        # and a receiver for what the guest uploads.
        srv = subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-m", "http.server",
                                "8080", "--bind", "192.168.77.1", "--directory", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        recv = subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-c",
                                 "import socket,hashlib\n"
                                 "s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                                 "s.bind(('192.168.77.1',9000));s.listen(1);s.settimeout(90)\n"
                                 "c,_=s.accept();h=hashlib.sha256();n=0\n"
                                 "while True:\n"
                                 "  b=c.recv(1<<20)\n"
                                 "  if not b: break\n"
                                 "  h.update(b);n+=len(b)\n"
                                 "print(n,h.hexdigest())\n"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(0.5)
            cmd = ("ip addr add 192.168.77.2/24 dev eth0 && ip link set eth0 up && "
                   "ping -c 2 -W 5 192.168.77.1 >/dev/null && echo ping-ok && "
                   "wget -q -O - http://192.168.77.1:8080/blob | sha256sum && "
                   "cat /etc/vmon-test.bin | nc 192.168.77.1 9000 && "
                   "sha256sum /etc/vmon-test.bin")
            r = boot(default_guest, cmd, "--net", "tap,ifname=vmtap0", "--virtio-transport",
                     transport, wrap=("ip", "netns", "exec", ns))
            out, err = recv.communicate(timeout=30)
        finally:
            srv.kill()
            recv.kill()
            srv.wait()
    guest_ok(r)
    assert "ping-ok" in r.out, r
    assert hashlib.sha256(BLOB).hexdigest() in r.out, r
    n, sha = out.decode().split()
    assert int(n) == 1 << 20 and sha in r.out, (out, err, r)


@pytest.mark.skipif(not have_netns(), reason="needs root, ip and /dev/net/tun")
def test_tap_host_reaches_guest(default_guest):
    with netns_with_tap() as ns:
        cmd = ("ip addr add 192.168.77.2/24 dev eth0 && ip link set eth0 up && "
               "echo pong-over-tap | nc -l -p 8000 > /tmp/req && echo \"guest got: $(cat /tmp/req)\"")
        client = subprocess.Popen(
            ["ip", "netns", "exec", ns, "python3", "-c",
             "import socket,time\n"
             "end=time.time()+60\n"
             "while time.time()<end:\n"
             "  try:\n"
             "    c=socket.create_connection(('192.168.77.2',8000),timeout=2)\n"
             "    c.sendall(b'ping-over-tap\\n')\n"
             "    d=b''\n"
             "    while not d.endswith(b'\\n'):\n"
             "      b=c.recv(4096)\n"
             "      if not b: break\n"
             "      d+=b\n"
             "    if d: print(d.decode().strip()); break\n"
             "  except OSError: time.sleep(0.2)\n"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        r = boot(default_guest, cmd, "--net", "tap,ifname=vmtap0", wrap=("ip", "netns", "exec", ns))
        out, _ = client.communicate(timeout=70)
    guest_ok(r)
    assert out.decode().strip() == "pong-over-tap", (out, r)
    assert "guest got: ping-over-tap" in r.out, r


# --- Bad input: exit status 2, one line on stderr, before the VM starts ---

def one_line_error(r, *words):
    assert r.rc == 2, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r
    assert "--net" in lines[0], r
    for w in words:
        assert w in lines[0], r
    assert "vmon guest ready" not in r.out, r


@pytest.mark.parametrize("opt,words", [
    ("bogus", ["unknown network type", "bogus"]),
    ("user,hostfwd=tcp::abc-:22", ["hostfwd", "abc"]),
    ("user,hostfwd=tcp::2222", ["hostfwd"]),
    ("user,hostfwd=sctp::2222-:22", ["sctp"]),
    ("user,mac=01:00:5e:00:00:01", ["multicast"]),
    ("user,mac=52:54:00:zz:00:01", ["not a MAC"]),
    ("user,speed=fast", ["speed"]),
    ("tap", ["ifname"]),
    ("tap,ifname=vmon-nosuch0", ["vmon-nosuch0", "no network interface"]),
])
def test_bad_net_options(default_guest, opt, words):
    r = run_vmon("run", "--kernel", default_guest["kernel"], "--accel", "emu", "--net", opt,
                 timeout=30)
    one_line_error(r, *words)


def test_hostfwd_port_taken(default_guest):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = run_vmon("run", "--kernel", default_guest["kernel"], "--accel", "emu", "--net",
                     f"user,hostfwd=tcp:127.0.0.1:{port}-:22", timeout=30)
    one_line_error(r, str(port), "in use")


def test_hostfwd_twice_and_duplicate_mac(default_guest):
    port = free_port()
    r = run_vmon("run", "--kernel", default_guest["kernel"], "--accel", "emu", "--net",
                 f"user,hostfwd=tcp::{port}-:22,hostfwd=tcp:127.0.0.1:{port}-:23", timeout=30)
    one_line_error(r, str(port), "twice")
    r = run_vmon("run", "--kernel", default_guest["kernel"], "--accel", "emu", "--net",
                 "user,mac=52:54:00:12:34:57", "--net", "user", timeout=30)
    one_line_error(r, "52:54:00:12:34:57", "eth0")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a TAP it cannot open")
def test_tap_not_a_tap(default_guest):
    r = run_vmon("run", "--kernel", default_guest["kernel"], "--accel", "emu", "--net",
                 "tap,ifname=lo", timeout=30)
    one_line_error(r, "lo")
