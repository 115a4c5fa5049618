"""The smoke test's XMPP client (module_utils/xmpp_client.py) against a scripted XMPP server over real TLS on
this machine's loopback: the exchange and the archive, STARTTLS, a refused login, an untrusted certificate."""

import base64
import datetime
import queue
import re
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.rainbow.edge.plugins.module_utils import xmpp_client

DOMAIN = "lab.test"
USERS = {"smoke-a": "pw-of-a-7f3e", "smoke-b": "pw-of-b-91c2"}


def _certificate(subject, issuer_key, issuer, key, ca, names=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA and a server certificate for DOMAIN, as PEM files."""
    where = tmp_path_factory.mktemp("pki")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lab CA")])
    ca = _certificate(ca_name, ca_key, ca_name, ca_key, True)
    server = _certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)]), ca_key, ca_name, key,
                          False, [DOMAIN])
    (where / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (where / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return where


class ScriptedXmppServer(threading.Thread):
    """Just enough of an XMPP server: TLS (direct with ALPN, or STARTTLS), SASL PLAIN, bind, chat messages routed
    between its sessions, and a MAM archive of them (unless ``archive`` is false)."""

    def __init__(self, pem, starttls=False, archive=True):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(pem)
        self.context.set_alpn_protocols(["xmpp-client"])
        self.starttls, self.archive = starttls, archive
        self.sessions, self.archived, self.alpn = {}, [], []

    @property
    def port(self):
        return self.listener.getsockname()[1]

    def run(self):
        while True:
            conn, _address = self.listener.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buffer, outbox = [""], [None]

        def expect(pattern):
            # Only this session's thread touches its TLS socket (OpenSSL's objects are not for two threads at once):
            # messages routed to it wait in its outbox, sent between short reads.
            while True:
                found = re.search(pattern, buffer[0], re.S)
                if found:
                    buffer[0] = buffer[0][found.end():]
                    return found
                while outbox[0] is not None and not outbox[0].empty():
                    conn.sendall(outbox[0].get())
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    raise ConnectionError
                buffer[0] += data.decode()

        def open_stream(features):
            expect(r"<stream:stream[^>]*>")
            conn.sendall(("<?xml version='1.0'?><stream:stream from='%s' id='s' version='1.0' xmlns='jabber:client'"
                          " xmlns:stream='http://etherx.jabber.org/streams'><stream:features>%s</stream:features>"
                          % (DOMAIN, features)).encode())

        try:
            if self.starttls:
                open_stream("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>")
                expect(r"<starttls[^>]*/>")
                conn.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            conn = self.context.wrap_socket(conn, server_side=True)
            conn.settimeout(0.05)
            self.alpn.append(conn.selected_alpn_protocol())
            open_stream("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>"
                        "<mechanism>PLAIN</mechanism></mechanisms>")
            _zero, user, password = base64.b64decode(expect(r"<auth[^>]*>([^<]*)</auth>").group(1)).decode().split("\0")
            if USERS.get(user) != password:
                conn.sendall(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>")
                return
            conn.sendall(b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
            open_stream("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>")
            resource = expect(r"<iq type='set' id='bind'>.*?<resource>([^<]*)</resource>.*?</iq>").group(1)
            jid = "%s@%s/%s" % (user, DOMAIN, resource)
            outbox[0] = self.sessions[jid] = queue.Queue()
            conn.sendall(("<iq type='result' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>%s</jid>"
                          "</bind></iq>" % jid).encode())
            while True:
                # Attribute values in either quote, as XML allows.
                stanza = expect(r"<presence/>|<message to=[\"']([^\"']*)[\"'][^>]*><body>(.*?)</body></message>"
                                r"|<iq type='set' id=[\"']([^\"']*)[\"']><query xmlns='urn:xmpp:mam:2' "
                                r"queryid=[\"']([^\"']*)[\"']>.*?<field var='with'><value>([^<]*)</value>.*?</iq>")
                if stanza.group(1):
                    to, body = stanza.group(1), stanza.group(2)
                    if self.archive:
                        self.archived.append((jid.split("/")[0], to.split("/")[0], body))
                    self.sessions[to].put(("<message from='%s' to='%s' type='chat'><body>%s</body></message>"
                                           % (jid, to, body)).encode())
                elif stanza.group(3):
                    me, other = jid.split("/")[0], stanza.group(5)
                    for number, (sender, to, body) in enumerate(self.archived):
                        if {sender, to} == {me, other}:
                            conn.sendall((
                                "<message to='%s'><result xmlns='urn:xmpp:mam:2' queryid='%s' id='%d'>"
                                "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='%s' to='%s' type='chat'>"
                                "<body>%s</body></message></forwarded></result></message>"
                                % (jid, stanza.group(4), number, sender, to, body)).encode())
                    conn.sendall(("<iq type='result' id='%s'><fin xmlns='urn:xmpp:mam:2' complete='true'/></iq>"
                                  % stanza.group(3)).encode())
        except (ConnectionError, ssl.SSLError, OSError):
            return


def _users():
    return [{"user": name, "password": password} for name, password in USERS.items()]


@pytest.mark.parametrize("tls", ["direct", "starttls"])
def test_two_users_exchange_a_message_each_way_and_find_both_in_the_archive(pki, tls):
    server = ScriptedXmppServer(str(pki / "server.pem"), starttls=tls == "starttls")
    server.start()
    result = xmpp_client.exchange("127.0.0.1", server.port, DOMAIN, *_users(), tls=tls,
                                  ca_file=str(pki / "ca.crt"), timeout=5)
    assert result["messages"] == 2 and result["archived"] == 2
    assert [jid.split("/")[0] for jid in result["users"]] == ["smoke-a@lab.test", "smoke-b@lab.test"]
    assert result["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert {body.rsplit(" ", 1)[-1] for _a, _b, body in server.archived} == {"smoke-a", "smoke-b"}
    # Direct TLS names the protocol in ALPN, as the public load balancers route on it; STARTTLS does not.
    assert server.alpn == (["xmpp-client"] * 2 if tls == "direct" else [None, None])
    assert result["alpn"] == ("xmpp-client" if tls == "direct" else None)


def test_a_refused_login_names_the_user_and_never_the_password(pki):
    server = ScriptedXmppServer(str(pki / "server.pem"))
    server.start()
    users = _users()
    users[1]["password"] = "not-the-password-5d1"
    with pytest.raises(xmpp_client.XmppError) as error:
        xmpp_client.exchange("127.0.0.1", server.port, DOMAIN, *users, ca_file=str(pki / "ca.crt"), timeout=5)
    assert "refused the login of smoke-b@lab.test: not-authorized" in str(error.value)
    assert "not-the-password" not in str(error.value) and USERS["smoke-a"] not in str(error.value)


def test_a_certificate_for_another_name_is_refused(pki):
    server = ScriptedXmppServer(str(pki / "server.pem"))
    server.start()
    with pytest.raises(xmpp_client.XmppError, match="not trusted for other.test"):
        xmpp_client.exchange("127.0.0.1", server.port, "other.test", *_users(), ca_file=str(pki / "ca.crt"), timeout=5)


def test_a_certificate_of_an_unknown_ca_is_refused(pki):
    server = ScriptedXmppServer(str(pki / "server.pem"))
    server.start()
    with pytest.raises(xmpp_client.XmppError, match="not trusted for lab.test"):
        xmpp_client.exchange("127.0.0.1", server.port, DOMAIN, *_users(), timeout=5)  # the system's trust store


def test_messages_missing_from_the_archive_fail_the_probe(pki):
    server = ScriptedXmppServer(str(pki / "server.pem"), archive=False)
    server.start()
    with pytest.raises(xmpp_client.XmppError, match="holds 0 of the 2 messages"):
        xmpp_client.exchange("127.0.0.1", server.port, DOMAIN, *_users(), ca_file=str(pki / "ca.crt"), timeout=1)
    result = xmpp_client.exchange("127.0.0.1", server.port, DOMAIN, *_users(), ca_file=str(pki / "ca.crt"),
                                  archive=False, timeout=1)
    assert result["archived"] == 0 and result["messages"] == 2


def test_no_server_is_reported():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(xmpp_client.XmppError, match="cannot connect to 127.0.0.1:%d" % port):
        xmpp_client.exchange("127.0.0.1", port, DOMAIN, *_users(), timeout=1)
