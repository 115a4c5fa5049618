"""The log shipper rsyslog runs on every Edge host (roles/log_shipping/files/.../relp_ship.py) against a
scripted RELP server over real TLS, both sides showing certificates of one CA, on this machine's loopback:
a message is confirmed to rsyslog only once the logs host acknowledged it, and every other outcome is an
answer that keeps the message in rsyslog's queue.

The program ships in roles/log_shipping/files and runs on the host's python3; it is imported here from there
(tests/unit/roles/conftest.py).
"""

from __future__ import annotations

import datetime
import io
import json
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import relp_ship  # roles/log_shipping/files/usr/local/lib/rainbow-edge (conftest.py)

PROGRAM = relp_ship.__file__
LOGS_HOST = "logs1.edge.test"
SENDER = "app1.edge.test"


def _certificate(subject: str, issuer_key, issuer: x509.Name, key, ca: bool, usage=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = (builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


def _write_pair(where: Path, stem: str, certificate, key) -> None:
    (where / f"{stem}.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (where / f"{stem}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The Edge's CA, the logs host's server certificate, this host's client certificate; and another CA's."""
    where = tmp_path_factory.mktemp("pki")
    for prefix in ("", "other-"):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{prefix}Edge CA")])
        ca = _certificate(f"{prefix}Edge CA", ca_key, ca_name, ca_key, True)
        (where / f"{prefix}ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        for stem, name, usage in (("server", LOGS_HOST, ExtendedKeyUsageOID.SERVER_AUTH),
                                  ("sender", SENDER, ExtendedKeyUsageOID.CLIENT_AUTH)):
            key = ec.generate_private_key(ec.SECP256R1())
            _write_pair(where, f"{prefix}{stem}", _certificate(name, ca_key, ca_name, key, False, usage), key)
    return where


class ScriptedRelpServer(threading.Thread):
    """Just enough of imrelp: TLS requiring a client certificate of the CA, open, syslog, close; ``answer``
    says what to do with each syslog command: "ack", "refuse" (a 500 response), "silent" (never answer),
    "hang up" (close the connection unanswered)."""

    def __init__(self, pki: Path, answers=()):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(pki / "server.crt", pki / "server.key")
        self.context.load_verify_locations(pki / "ca.crt")
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.answers = list(answers)
        self.received: list[bytes] = []
        self.offers: list[bytes] = []
        self.sessions = 0
        self.connections: list[ssl.SSLSocket] = []

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def run(self) -> None:
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn) -> None:
        try:
            conn = self.context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return
        self.sessions += 1
        self.connections.append(conn)
        reader = relp_ship.FrameReader(conn.recv)
        try:
            while True:
                txnr, command, data = reader.read()
                if command == b"open":
                    self.offers.append(data)
                    conn.sendall(relp_ship.frame(txnr, b"rsp", b"200 OK\nrelp_version=0\ncommands=syslog"))
                elif command == b"close":
                    conn.sendall(relp_ship.frame(txnr, b"rsp"))
                    break
                else:
                    answer = self.answers.pop(0) if self.answers else "ack"
                    if answer == "hang up":
                        break
                    if answer == "silent":
                        time.sleep(5)
                        break
                    if answer == "refuse":
                        conn.sendall(relp_ship.frame(txnr, b"rsp", b"500 no room"))
                        continue
                    self.received.append(data)
                    conn.sendall(relp_ship.frame(txnr, b"rsp", b"200 OK"))
        except (OSError, relp_ship.RelpError):
            pass
        finally:
            conn.close()

    def restart(self) -> None:
        """A logs host that went away and came back: every open session ends; the listener stays."""
        for conn in self.connections:
            try:
                conn.sendall(relp_ship.frame(0, b"serverclose"))
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _config(pki: Path, port: int, prefix: str = "", timeout: float = 2, name: str = LOGS_HOST) -> dict:
    return {"address": "127.0.0.1", "port": port, "name": name, "ca": str(pki / f"{prefix}ca.crt"),
            "cert": str(pki / f"{prefix}sender.crt"), "key": str(pki / f"{prefix}sender.key"), "timeout_seconds": timeout,
            "retry_seconds": 0.1, "held_file": str(pki.parent / f"held-{time.monotonic_ns()}")}


def _line(message: str) -> bytes:
    """What the template of 60-rainbow-edge-shipping.conf writes: the free text JSON-escaped, as rsyslog's json."""
    escaped = message.replace("\\", "\\\\").replace('"', '\\"').replace("/", "\\/").replace("\n", "\\n")
    return f"<13>1 2026-12-07T10:00:00.000000+00:00 app1 tester - - - {escaped}\n".encode()


def _serve(config: dict, lines: list[bytes], attempts: int = 1) -> tuple[list[str], list[tuple[int, str]]]:
    """Run the shipper over ``lines``; rsyslog stops it once a message has failed ``attempts`` times.
    Its answers, and what it logged."""
    stdout, logged, failures = io.StringIO(), [], []

    def input_closed(_stdin, _seconds):
        failures.append(1)
        return len(failures) >= attempts

    relp_ship.Shipper(config, io.BytesIO(b"".join(lines)), stdout, input_closed=input_closed,
                      log=lambda priority, text: logged.append((priority, text))).run()
    return stdout.getvalue().splitlines(), logged


def _vacant_port() -> int:
    vacant = socket.create_server(("127.0.0.1", 0))
    port = vacant.getsockname()[1]
    vacant.close()
    return port


@pytest.fixture
def server(pki):
    relp = ScriptedRelpServer(pki)
    relp.start()
    yield relp
    relp.listener.close()


def test_each_message_is_confirmed_once_acknowledged_and_arrives_byte_for_byte(pki, server):
    messages = ["first", 'a "quoted" path /var/log, a backslash \\ and a tab\t', "two\nlines", "caf\u00e9"]
    answers, logged = _serve(_config(pki, server.port), [_line(m) for m in messages])
    assert answers == ["OK"] * (1 + len(messages))  # ready, then one a message
    assert [data.split(b" - - - ", 1)[1].decode() for data in server.received] == messages
    assert server.sessions == 1 and b"commands=syslog" in server.offers[0] and logged == []


def test_with_the_logs_host_away_a_message_is_tried_again_and_never_answered_with_a_failure(pki):
    """A failure answered would suspend rsyslog's action with the message in hand, lost if rsyslog restarts then."""
    config = _config(pki, _vacant_port())
    answers, logged = _serve(config, [_line("kept"), _line("behind it")], attempts=3)
    assert answers == ["OK"]  # ready; nothing confirmed, nothing refused
    assert [priority for priority, _text in logged] == [relp_ship.syslog.LOG_WARNING]  # the outage, logged once
    assert f"cannot deliver to the logs host {LOGS_HOST}: ConnectionRefusedError" in logged[0][1]
    # rsyslog stopped it meanwhile: the message in hand is kept for the next run, the one behind it is rsyslog's.
    assert relp_ship.read_held(config["held_file"]) == [_line("kept").rstrip(b"\n")]


def test_held_messages_go_first_when_rsyslog_starts_the_shipper_again_then_the_end_of_the_outage_is_logged(pki, server):
    config = _config(pki, server.port)
    relp_ship.write_held(config["held_file"], [_line("held 1"), _line("held 2")])
    server.answers = ["refuse"]  # the logs host is not ready yet: tried again
    answers, logged = _serve(config, [_line("next")], attempts=5)
    assert answers == ["OK", "OK"]
    assert [data.split(b" - - - ", 1)[1] for data in server.received] == [b"held 1", b"held 2", b"next"]
    assert not Path(config["held_file"]).exists()
    assert [priority for priority, _text in logged] == [relp_ship.syslog.LOG_WARNING, relp_ship.syslog.LOG_NOTICE]
    assert "refused: 500 no room" in logged[0][1] and "again, after" in logged[1][1]


@pytest.mark.parametrize("answer, reason", [("refuse", "refused: 500 no room"), ("hang up", "closed the session"),
                                            ("silent", "TimeoutError")])
def test_a_message_not_acknowledged_is_not_confirmed(pki, server, answer, reason):
    """Refused, or the session lost before the acknowledgement: one attempt fails, within its timeout."""
    server.answers = [answer]
    session = relp_ship.Session(_config(pki, server.port))
    start = time.monotonic()
    with pytest.raises(relp_ship.RelpError, match=reason):
        relp_ship.attempt(session, b"held", 1)
    assert server.received == [] and time.monotonic() - start < 3 and not session.is_open


def test_a_session_the_logs_host_ended_meanwhile_is_opened_again_at_once(pki, server):
    """The logs host restarted while this host was idle: the next message goes through a new session."""
    stdin_read, stdin_write = socket.socketpair()
    reader, stdout = stdin_read.makefile("rb"), io.StringIO()
    shipper = threading.Thread(target=relp_ship.Shipper(_config(pki, server.port), reader, stdout).run)
    shipper.start()
    stdin_write.sendall(_line("before"))
    assert _wait(lambda: len(server.received) == 1)
    server.restart()
    time.sleep(0.2)
    stdin_write.sendall(_line("after"))
    assert _wait(lambda: len(server.received) == 2)
    stdin_write.close()
    shipper.join(5)
    assert stdout.getvalue().splitlines() == ["OK", "OK", "OK"]
    assert server.sessions == 2


def test_sigterm_in_the_middle_of_an_attempt_keeps_the_message_for_the_next_run(pki, tmp_path):
    """rsyslog stopping: SIGTERM (signalOnClose) while the shipper waits on a logs host that says nothing."""
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never speaks TLS
    config = dict(_config(pki, silent.getsockname()[1], timeout=30), held_file=str(tmp_path / "held"))
    (tmp_path / "config.json").write_text(json.dumps(config))
    shipper = subprocess.Popen([sys.executable, str(PROGRAM), str(tmp_path / "config.json")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert shipper.stdout.readline() == b"OK\n"
    shipper.stdin.write(_line("in hand"))
    shipper.stdin.flush()
    time.sleep(1)
    start = time.monotonic()
    shipper.send_signal(signal.SIGTERM)
    assert shipper.wait(5) == 0 and time.monotonic() - start < 2
    assert relp_ship.read_held(config["held_file"]) == [_line("in hand").rstrip(b"\n")]
    silent.close()


def _wait(condition, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("prefix, name, reason", [
    ("other-", LOGS_HOST, "CERTIFICATE_VERIFY_FAILED"),   # this host trusts another CA than the logs host's
    ("", "logs2.edge.test", "CERTIFICATE_VERIFY_FAILED"),  # a server without the logs host's name
])
def test_a_logs_host_this_host_cannot_verify_gets_nothing(pki, server, prefix, name, reason):
    with pytest.raises(relp_ship.RelpError, match=reason):
        relp_ship.attempt(relp_ship.Session(_config(pki, server.port, prefix=prefix, name=name)), b"secret", 2)
    assert server.received == []


def test_a_line_the_template_did_not_write_is_shipped_as_it_came_rather_than_holding_up_the_queue(pki, server):
    answers, _logged = _serve(_config(pki, server.port), [b'<13>1 - app1 t - - - an "unescaped" quote \xff\n'])
    assert answers == ["OK", "OK"]
    assert server.received == [b'<13>1 - app1 t - - - an "unescaped" quote \xff']


def test_frames_are_read_across_chunks_with_and_without_data():
    chunks = [b"1 rsp 6 2", b"00 OK\n0 server", b"close 0\n", b"3 rsp 0\n"]
    reader = relp_ship.FrameReader(lambda _size: chunks.pop(0) if chunks else b"")
    assert reader.read() == (1, b"rsp", b"200 OK")
    assert reader.read() == (0, b"serverclose", b"")
    assert reader.read() == (3, b"rsp", b"")
    with pytest.raises(relp_ship.RelpError, match="closed the session"):
        reader.read()


@pytest.mark.parametrize("stream, reason", [(b"1 rsp 3 abcX", "without its trailer"), (b"x rsp 0\n", "not a RELP frame"),
                                            (b"1" * 80, "too long")])
def test_what_is_not_a_relp_frame_ends_the_session(stream, reason):
    chunks = [stream]
    reader = relp_ship.FrameReader(lambda _size: chunks.pop(0) if chunks else b"")
    with pytest.raises(relp_ship.RelpError, match=reason):
        reader.read()


def test_transaction_numbers_wrap_after_999999999():
    session = relp_ship.Session({})
    session._txnr = relp_ship.MAX_TXNR  # pylint: disable=protected-access
    sent = []

    class Socket:
        def settimeout(self, _timeout):
            pass

        def sendall(self, data):
            sent.append(data)

    session._sock = Socket()  # pylint: disable=protected-access
    session._reader = relp_ship.FrameReader(lambda _size: b"1 rsp 6 200 OK\n")  # pylint: disable=protected-access
    session.command(b"syslog", b"m", time.monotonic() + 1)
    assert sent == [b"1 syslog 1 m\n"]
