"""A DNS server (dnspython on UDP and TCP) answering in fixed order: the stand-in for NSD (R3).

Used only when NSD is not installed. It answers ``orders.svc.test`` A queries with the same
three records in the same order every time, TTL 5, like an authoritative server that never
rotates.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from pathlib import Path
from typing import Any

import dns.message
import dns.rcode
import dns.rrset

from runbook.drill.lab.services.nsd_conf import ADDRESSES

NAME = "orders.svc.test."


def answer(wire: bytes) -> bytes:
    query = dns.message.from_wire(wire)
    reply = dns.message.make_response(query)
    reply.flags |= 0x0400  # authoritative
    q = query.question[0]
    if q.name.to_text().lower() == NAME and q.rdtype == 1:
        reply.answer.append(dns.rrset.from_text(NAME, 5, "IN", "A", *ADDRESSES))
    elif not q.name.to_text().lower().endswith("svc.test."):
        reply.set_rcode(dns.rcode.REFUSED)
    else:
        reply.set_rcode(dns.rcode.NXDOMAIN)
    return reply.to_wire(want_shuffle=False)  # dnspython shuffles by default; this server must not


class Udp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        with contextlib.suppress(Exception):
            sock.sendto(answer(data), self.client_address)


class Tcp(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        try:
            (size,) = struct.unpack("!H", self.rfile.read(2))
            out = answer(self.rfile.read(size))
            self.wfile.write(struct.pack("!H", len(out)) + out)
        except Exception:
            pass


def main(name: str, directory: Path, opts: dict[str, Any]) -> None:
    port = int(opts["port"])
    udp = socketserver.ThreadingUDPServer(("127.0.0.1", port), Udp)
    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), Tcp, bind_and_activate=False)
    tcp.allow_reuse_address = True
    tcp.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.server_bind()
    tcp.server_activate()
    threading.Thread(target=udp.serve_forever, daemon=True).start()
    tcp.serve_forever()
