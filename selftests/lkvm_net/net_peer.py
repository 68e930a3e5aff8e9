#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host's end of boot_net.sh: a DNS responder on UDP port 53 that
answers every A query with ANSWER_IP, and an HTTP server on TCP port 8080
that serves BODY.  It logs what it served on stdout, one line each, and
runs until killed.  It binds the wildcard address, so it can start before
lkvm creates the tap it will be reached through."""
import http.server
import socket
import struct
import sys
import threading

ANSWER_IP = "10.33.33.33"
BODY = b"lkvm-net-tcp-ok\n"


def dns_answer(query):
    """A response to a one-question query: the question, one A record."""
    qid, _flags, qdcount = struct.unpack("!HHH", query[:6])
    if qdcount != 1:
        return None, None
    end = 12
    labels = []
    while query[end]:
        labels.append(query[end + 1:end + 1 + query[end]].decode())
        end += 1 + query[end]
    question = query[12:end + 5]	# name, its 0 byte, type, class
    qtype = struct.unpack("!H", query[end + 1:end + 3])[0]
    header = struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if qtype == 1 else 0,
                         0, 0)
    answer = b""
    if qtype == 1:
        answer = struct.pack("!HHHIH", 0xc00c, 1, 1, 60, 4) + \
                 socket.inet_aton(ANSWER_IP)
    return header + question + answer, ".".join(labels)


def serve_dns():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 53))
    while True:
        query, peer = s.recvfrom(512)
        reply, name = dns_answer(query)
        if reply:
            s.sendto(reply, peer)
            print(f"dns {name} from {peer[0]}", flush=True)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
        print(f"http {self.path} from {self.client_address[0]}", flush=True)

    def log_message(self, *args):
        pass


def main():
    threading.Thread(target=serve_dns, daemon=True).start()
    server = http.server.HTTPServer(("0.0.0.0", 8080), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
