# Copyright: rainbow.edge contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ships each message rsyslog hands it to the Edge's logs host over RELP with TLS, and confirms it to rsyslog
only once the logs host has acknowledged it (rainbow.edge.log_shipping; rsyslog's omprog, confirmMessages).

Why not rsyslog's omrelp: it hands messages to librelp, which keeps what the logs host has not acknowledged
in memory while rsyslog counts it as delivered; a restart of rsyslog during an outage of the logs host loses
it (rsyslog/rsyslog#3820: 161 of 1000 in molecule/logs). Nor can rsyslog's disk queue keep the message it
has handed to this program: when rsyslog stops before the answer, that message is gone from its queue
(measured: the first message of every outage, answered or not). So this program keeps it: a message is tried
again every retry_seconds until the logs host acknowledges it, while rsyslog's queue keeps what follows, one
message at a time (dequeueBatchSize 1); when rsyslog stops (SIGTERM, then its input closed), the message in
hand is written to held_file, and delivered first when rsyslog starts this program again. A message the logs
host had but did not acknowledge in time comes twice; none is lost.

Run by rsyslog as ``/usr/bin/python3 relp_ship.py CONFIG``. CONFIG is a JSON file: address, port and name
(the logs host's address, RELP port and certificate name), ca, cert, key (this host's files),
timeout_seconds (how long one attempt waits for the logs host), retry_seconds and held_file. On stdin, one
message a line: RFC 5424 with every field that may hold a line break JSON-escaped (the template of
60-rainbow-edge-shipping.conf), restored here byte for byte. On stdout: ``OK`` once ready (the held messages
delivered), then ``OK`` for each message, once acknowledged. An outage and its end are logged to syslog (tag
rainbow-edge-ship).
"""

from __future__ import annotations

import json
import os
import select
import socket
import signal
import ssl
import sys
import syslog
import time

SOFTWARE = b"rainbow.edge-relp-ship,1,https://galaxy.ansible.com/ui/repo/published/rainbow/edge/"
OFFERS = b"relp_version=0\nrelp_software=" + SOFTWARE + b"\ncommands=syslog"
MAX_TXNR = 999_999_999
# A frame's header: TXNR SP COMMAND SP DATALEN, each at most this long (RFC-like spec of RELP, librelp).
MAX_HEADER = 9 + 1 + 32 + 1 + 9


class RelpError(Exception):
    """The session cannot carry the message: the logs host is away, refused, or said something else."""


def decode_line(line: bytes) -> bytes:
    """The message as rsyslog formatted it: the line's JSON escapes undone, any other byte kept as it came.

    A line that is not what the template writes is shipped as it is: it must not hold up the queue behind it.
    """
    raw = line.rstrip(b"\n")
    try:
        return json.loads('"' + raw.decode("utf-8", "surrogateescape") + '"', strict=False).encode(
            "utf-8", "surrogateescape")
    except ValueError:
        return raw


def frame(txnr: int, command: bytes, data: bytes = b"") -> bytes:
    """TXNR SP COMMAND SP DATALEN [SP DATA] LF."""
    head = b"%d %s %d" % (txnr, command, len(data))
    return head + (b" " + data if data else b"") + b"\n"


class FrameReader:
    """Frames from a byte stream (``recv(n)`` returns b"" at its end)."""

    def __init__(self, recv) -> None:
        self._recv = recv
        self._buffer = b""

    def _fill(self, size: int) -> None:
        while len(self._buffer) < size:
            chunk = self._recv(65536)
            if not chunk:
                raise RelpError("the logs host closed the session")
            self._buffer += chunk

    def read(self) -> tuple[int, bytes, bytes]:
        """(txnr, command, data) of the next frame."""
        fields: list[bytes] = []
        while len(fields) < 3:
            end = self._token_end()
            token, self._buffer = self._buffer[:end], self._buffer[end:]
            fields.append(token)
            if len(fields) < 3:
                self._buffer = self._buffer[1:]  # the SP
        txnr, command, length = fields
        if not (txnr.isdigit() and length.isdigit() and command.isalpha()):
            raise RelpError(f"not a RELP frame from the logs host: {b' '.join(fields)[:80]!r}")
        size = int(length)
        if size == 0:
            self._fill(1)
            data, rest = b"", self._buffer[1:]
            trailer = self._buffer[:1]
        else:
            self._fill(1 + size + 1)
            data, trailer, rest = self._buffer[1:1 + size], self._buffer[1 + size:2 + size], self._buffer[2 + size:]
        if trailer != b"\n":
            raise RelpError("a RELP frame from the logs host without its trailer")
        self._buffer = rest
        return int(txnr), command, data

    def _token_end(self) -> int:
        while True:
            for index, byte in enumerate(self._buffer):
                if byte in b" \n":
                    return index
            if len(self._buffer) > MAX_HEADER:
                raise RelpError("a RELP header from the logs host too long")
            self._fill(len(self._buffer) + 1)


class Session:
    """One RELP session over TLS: open, a syslog command a message (each answered before the next), close."""

    def __init__(self, config: dict, connect=socket.create_connection) -> None:
        self._config = config
        self._connect = connect
        self._sock = None
        self._reader: FrameReader | None = None
        self._txnr = 0

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self._config["ca"])
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self._config["cert"], self._config["key"])
        return context

    def open(self, deadline: float) -> None:
        raw = self._connect((self._config["address"], int(self._config["port"])), timeout=_left(deadline))
        try:
            raw.settimeout(_left(deadline))
            self._sock = self._context().wrap_socket(raw, server_hostname=self._config["name"])
        except BaseException:
            raw.close()
            raise
        self._reader = FrameReader(self._sock.recv)
        self._txnr = 0
        self.command(b"open", OFFERS, deadline)

    def command(self, command: bytes, data: bytes, deadline: float) -> bytes:
        """Send one command and wait for its answer: the data of a 200 response, else RelpError."""
        self._txnr = self._txnr % MAX_TXNR + 1
        self._sock.settimeout(_left(deadline))
        self._sock.sendall(frame(self._txnr, command, data))
        while True:
            self._sock.settimeout(_left(deadline))
            txnr, answer, reply = self._reader.read()
            if answer == b"serverclose":
                raise RelpError("the logs host is closing the session")
            if answer != b"rsp" or txnr != self._txnr:
                raise RelpError(f"the logs host answered {answer.decode(errors='replace')} {txnr} to {self._txnr}")
            if not reply.startswith(b"200"):
                raise RelpError(f"the logs host refused: {reply[:200].decode(errors='replace')}")
            return reply

    def close(self, deadline: float | None = None) -> None:
        """End the session; politely (close command) when there is time for it."""
        if self._sock is None:
            return
        try:
            if deadline is not None:
                self.command(b"close", b"", deadline)
        except (OSError, RelpError):
            pass
        finally:
            self._sock.close()
            self._sock, self._reader = None, None


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the logs host did not answer in time")
    return left


def attempt(session: Session, message: bytes, timeout: float) -> None:
    """One attempt to deliver a message, acknowledged; raise RelpError with the reason if it was not.

    A session that was open before this message may have been closed by the logs host meanwhile (a restart):
    it is opened again once, at once.
    """
    deadline = time.monotonic() + timeout
    reused = session.is_open
    while True:
        try:
            if not session.is_open:
                session.open(deadline)
            session.command(b"syslog", message, deadline)
            return
        except (OSError, RelpError) as error:
            session.close()
            if not reused:
                raise RelpError(f"{type(error).__name__}: {error}") from error
            reused = False


class Stopping(Exception):
    """rsyslog stops this program: SIGTERM, or its input closed."""


def _input_closed(stdin, seconds: float) -> bool:
    """Wait up to ``seconds``; whether rsyslog closed our input meanwhile (it writes nothing else before our
    answer, so input to read is its end)."""
    readable, _w, _x = select.select([stdin], [], [], seconds)
    return bool(readable)


def _syslog(priority: int, text: str) -> None:
    syslog.openlog("rainbow-edge-ship", syslog.LOG_PID, syslog.LOG_DAEMON)
    syslog.syslog(priority, text)


def read_held(path: str) -> list[bytes]:
    """The lines a previous run kept when rsyslog stopped it, oldest first."""
    try:
        with open(path, "rb") as handle:
            return [line for line in handle.read().split(b"\n") if line]
    except FileNotFoundError:
        return []


def write_held(path: str, lines: list[bytes]) -> None:
    """Keep lines for the next run, on disk before rsyslog takes them for gone (its queue no longer has them)."""
    temporary = path + ".new"
    with open(temporary, "wb", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
        handle.write(b"".join(line.rstrip(b"\n") + b"\n" for line in lines))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class Shipper:
    """omprog's side: each line delivered, tried again until it is (the outage logged once), or held."""

    def __init__(self, config: dict, stdin, stdout, session: Session | None = None, input_closed=_input_closed,
                 log=_syslog) -> None:
        self.config, self.stdin, self.stdout = config, stdin, stdout
        self.session = session or Session(config)
        self.input_closed, self.log = input_closed, log
        self.timeout, self.retry = float(config["timeout_seconds"]), float(config["retry_seconds"])
        self.held_file = config["held_file"]
        self._failing_since: float | None = None

    def _answer(self) -> None:
        self.stdout.write("OK\n")
        self.stdout.flush()

    def deliver(self, line: bytes) -> None:
        """Until acknowledged; Stopping if rsyslog stops meanwhile."""
        message = decode_line(line)
        while True:
            try:
                attempt(self.session, message, self.timeout)
                break
            except RelpError as error:
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                    self.log(syslog.LOG_WARNING, f"cannot deliver to the logs host {self.config['name']}: {error}; "
                                                 f"trying again every {self.retry:g} s, rsyslog's queue keeps what "
                                                 f"follows")
            if self.input_closed(self.stdin, self.retry):
                raise Stopping()
        if self._failing_since is not None:
            self.log(syslog.LOG_NOTICE, f"delivering to the logs host {self.config['name']} again, after "
                                        f"{time.monotonic() - self._failing_since:.0f} s")
            self._failing_since = None

    def run(self) -> None:
        """The held lines first, then rsyslog's, until it stops this program."""
        held = read_held(self.held_file)
        in_hand: list[bytes] = []
        try:
            while held:
                in_hand = held
                self.deliver(held[0])
                held = held[1:]
                if held:
                    write_held(self.held_file, held)
                else:
                    os.unlink(self.held_file)
            self._answer()
            while True:
                in_hand = []
                line = self.stdin.readline()
                if not line:
                    break
                in_hand = [line]
                self.deliver(line)
                in_hand = []
                self._answer()
        except Stopping:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            if in_hand:
                write_held(self.held_file, in_hand)
            self.session.close()
            return
        self.session.close(time.monotonic() + 2)


def _stop(_signum, _frame) -> None:
    raise Stopping()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: relp_ship.py CONFIG", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        config = json.load(handle)
    signal.signal(signal.SIGTERM, _stop)
    Shipper(config, sys.stdin.buffer, sys.stdout).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
