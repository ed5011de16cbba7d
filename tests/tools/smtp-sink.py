#!/usr/bin/env python3
"""smtp-sink.py: a loopback SMTP server for sift's tests.

It accepts mail on 127.0.0.1 (or another local address) and writes every
message it accepts into a folder, one message per file, instead of
delivering it. It can offer STARTTLS with a given certificate, answer a
chosen reply at a chosen stage of the session, or stop answering there
(for timeout tests). Python 3 standard library only.

Files written into --dir for the N-th accepted message (N = 1, 2, ...):

  N.env   the envelope, one item a line:
            HELO <name the client gave in EHLO or HELO>
            TLS yes|no
            MAIL FROM:<sender>[ parameters]
            RCPT TO:<recipient>           (one line per accepted recipient)
  N.eml   the message content exactly as received: line ends as sent
          (CRLF), dot-stuffing undone, without the final "." line.

N.env is complete before N.eml appears (N.eml is renamed into place), so
a test that sees N.eml can read both.

Stages for --reply and --stall:
  greeting  the server's first reply          ehlo   EHLO
  helo      HELO                              starttls  STARTTLS
  mail      MAIL FROM                         rcpt   every RCPT TO
  data      DATA (the 354 reply)              dot    the end of the content
  quit      QUIT

Examples:
  smtp-sink.py --dir out --port 0          # prints the chosen port
  smtp-sink.py --dir out --port 2525 --tls-cert c.pem --tls-key k.pem
  smtp-sink.py --dir out --port 0 --reply 'rcpt=550 5.1.1 no such user'
  smtp-sink.py --dir out --port 0 --reply 'dot=451 4.3.0 try later|come back'
  smtp-sink.py --dir out --port 0 --stall dot
  smtp-sink.py --dir out --control    # then 'reply mail 451 busy' on stdin
"""

import argparse
import os
import socket
import socketserver
import ssl
import sys
import threading
import time

STAGES = ("greeting", "ehlo", "helo", "starttls", "mail", "rcpt", "data", "dot", "quit")
MAX_LINE = 65536


class Config:
    def __init__(self, args):
        self.dir = args.dir
        self.tls_ctx = None
        if args.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
            self.tls_ctx = ctx
        self.tls = self.tls_ctx
        self.replies = {}
        self.stall = set()
        for spec in args.reply or []:
            stage, _, reply = spec.partition("=")
            self.set_reply(stage, reply, spec)
        for st in args.stall or []:
            self.set_stall(st)
        self.log_path = args.log
        self.lock = threading.Lock()
        self.count = 0
        self.sessions_left = args.max_sessions

    def set_reply(self, stage, reply, spec):
        code, _, text = reply.strip().partition(" ")
        if stage not in STAGES or len(code) != 3 or not code.isdigit():
            raise ValueError("bad reply %r (STAGE=CODE [TEXT])" % spec)
        self.replies[stage] = (code, text or "sink says " + code)

    def set_stall(self, stage):
        if stage not in STAGES:
            raise ValueError("bad stage %r" % stage)
        self.stall.add(stage)

    def control(self, line):
        """One line of the --control channel; raises ValueError."""
        word, _, rest = line.strip().partition(" ")
        with self.lock:
            if word == "reset":
                self.replies.clear()
                self.stall.clear()
                self.tls = self.tls_ctx
            elif word == "reply":
                stage, _, reply = rest.partition(" ")
                self.set_reply(stage, reply, rest)
            elif word == "stall":
                self.set_stall(rest.strip())
            elif word == "tls" and rest in ("on", "off"):
                if rest == "on" and not self.tls_ctx:
                    raise ValueError("no certificate (--tls-cert)")
                self.tls = self.tls_ctx if rest == "on" else None
            elif word == "dir" and os.path.isdir(rest):
                self.dir = rest
                self.count = 0
            else:
                raise ValueError("unknown control %r" % line.strip())

    def log(self, peer, text):
        if not self.log_path:
            return
        with self.lock, open(self.log_path, "a", encoding="utf-8", errors="backslashreplace") as f:
            f.write("%s %s\n" % (peer, text))

    def next_number(self):
        with self.lock:
            self.count += 1
            return self.count


class Closed(Exception):
    pass


class Session:
    def __init__(self, sock, cfg, peer):
        self.sock = sock
        self.cfg = cfg
        self.peer = peer
        self.buf = b""
        self.tls = False
        self.helo = None
        self.reset()

    def reset(self):
        self.mail = None
        self.rcpts = []

    # ---- input and output ----

    def readline(self):
        while b"\n" not in self.buf:
            if len(self.buf) > MAX_LINE:
                raise Closed("line too long")
            data = self.sock.recv(65536)
            if not data:
                raise Closed("the client closed the connection")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def reply(self, code, text):
        lines = text.split("|")
        out = "".join("%s%s%s\r\n" % (code, "-" if i < len(lines) - 1 else " ", l)
                      for i, l in enumerate(lines))
        self.cfg.log(self.peer, "S: " + out.rstrip("\r\n").replace("\r\n", " / "))
        self.sock.sendall(out.encode())

    def answer(self, stage, code, text):
        """Reply at a stage, unless told otherwise; True when it is the
        reply asked for (not a configured one)."""
        with self.cfg.lock:
            stall = stage in self.cfg.stall
            configured = self.cfg.replies.get(stage)
        if stall:
            self.cfg.log(self.peer, "* stalling at " + stage)
            self.sock.settimeout(120)
            try:
                while self.sock.recv(65536):
                    pass
            except OSError:
                pass
            raise Closed("stalled at " + stage)
        if configured:
            self.reply(*configured)
            return False
        self.reply(code, text)
        return True

    # ---- the commands ----

    def ehlo_lines(self, name):
        lines = ["sink.test greets " + name, "8BITMIME", "PIPELINING"]
        if self.offer_tls and not self.tls:
            lines.append("STARTTLS")
        lines.append("HELP")
        return "|".join(lines)

    def run(self):
        self.offer_tls = self.cfg.tls  # fixed for the session
        if not self.answer("greeting", "220", "sink.test ESMTP smtp-sink"):
            return  # a refusing greeting: the session ends
        while True:
            raw = self.readline()
            line = raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
            self.cfg.log(self.peer, "C: " + line)
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                if self.answer("ehlo", "250", self.ehlo_lines(arg)):
                    self.helo = arg
                    self.reset()
            elif verb == "HELO":
                if self.answer("helo", "250", "sink.test"):
                    self.helo = arg
                    self.reset()
            elif verb == "STARTTLS":
                if not self.offer_tls or self.tls:
                    self.reply("502", "5.5.1 no STARTTLS here")
                elif self.answer("starttls", "220", "2.0.0 go ahead"):
                    self.buf = b""  # RFC 3207 §5: nothing from before the handshake
                    try:
                        self.sock = self.offer_tls.wrap_socket(self.sock, server_side=True)
                    except (ssl.SSLError, OSError) as e:
                        self.cfg.log(self.peer, "* TLS handshake failed: %s" % e)
                        raise Closed("TLS handshake failed")
                    self.cfg.log(self.peer, "* TLS %s" % self.sock.version())
                    self.tls = True
                    self.helo = None
                    self.reset()
            elif verb == "MAIL" and arg.upper().startswith("FROM:"):
                if self.helo is None:
                    self.reply("503", "5.5.1 EHLO first")
                elif self.answer("mail", "250", "2.1.0 ok"):
                    self.reset()
                    self.mail = arg[5:]
            elif verb == "RCPT" and arg.upper().startswith("TO:"):
                if self.mail is None:
                    self.reply("503", "5.5.1 MAIL first")
                elif self.answer("rcpt", "250", "2.1.5 ok"):
                    self.rcpts.append(arg[3:])
            elif verb == "DATA":
                if not self.rcpts:
                    self.reply("503", "5.5.1 RCPT first")
                elif self.answer("data", "354", "end with <CRLF>.<CRLF>"):
                    self.data()
            elif verb == "RSET":
                self.reset()
                self.reply("250", "2.0.0 ok")
            elif verb == "NOOP":
                self.reply("250", "2.0.0 ok")
            elif verb == "QUIT":
                self.answer("quit", "221", "2.0.0 bye")
                return
            else:
                self.reply("500", "5.5.2 what?")

    def data(self):
        content = []
        while True:
            try:
                line = self.readline()
            except Closed:
                self.cfg.log(self.peer, "* data aborted: closed before the final dot")
                raise
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):
                line = line[1:]  # RFC 5321 §4.5.2
            content.append(line)
        with self.cfg.lock:
            normal = "dot" not in self.cfg.stall and "dot" not in self.cfg.replies
        if normal:  # stored before the reply: a client that has it finds the files
            self.store(b"".join(content))
            self.reply("250", "2.0.0 queued as sink")
        else:
            self.answer("dot", "250", "2.0.0 queued as sink")
            self.cfg.log(self.peer, "* message refused at the end of data")
        self.reset()

    def store(self, content):
        n = self.cfg.next_number()
        d = self.cfg.dir
        env = ["HELO " + (self.helo or ""), "TLS " + ("yes" if self.tls else "no"),
               "MAIL FROM:" + self.mail] + ["RCPT TO:" + r for r in self.rcpts]
        with open(os.path.join(d, "%d.env" % n), "w", encoding="utf-8",
                  errors="backslashreplace") as f:
            f.write("\n".join(env) + "\n")
        tmp = os.path.join(d, ".%d.eml.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(content)
        os.rename(tmp, os.path.join(d, "%d.eml" % n))
        self.cfg.log(self.peer, "* stored %d.eml (%d bytes)" % (n, len(content)))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        cfg = self.server.cfg
        peer = "[%s]:%s" % self.client_address[:2]
        cfg.log(peer, "* connected")
        s = Session(self.request, cfg, peer)
        try:
            s.run()
        except Closed as e:
            cfg.log(peer, "* closed: %s" % e)
        except (OSError, ssl.SSLError) as e:
            cfg.log(peer, "* error: %s" % e)
        finally:
            try:
                s.sock.close()
            except OSError:
                pass
            cfg.log(peer, "* disconnected")
            if cfg.sessions_left is not None:
                with cfg.lock:
                    cfg.sessions_left -= 1
                    done = cfg.sessions_left <= 0
                if done:
                    threading.Thread(target=shutdown, args=(self.server.all,), daemon=True).start()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def shutdown(servers):
    for server in servers:
        server.shutdown()


def control_loop(cfg, servers):
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cfg.control(line)
            print("ok", flush=True)
        except ValueError as e:
            print("error: %s" % e, flush=True)
    shutdown(servers)


def main():
    p = argparse.ArgumentParser(
        prog="smtp-sink.py",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True, help="folder the accepted messages are written into")
    p.add_argument("--host", action="append",
                   help="address to listen on (default 127.0.0.1; ::1 for IPv6); repeatable, "
                        "every address on the same port. An address after the first that "
                        "cannot be used is reported on standard error and skipped")
    p.add_argument("--port", type=int, default=0,
                   help="port to listen on; 0 (the default) picks a free one. The port "
                        "listened on is printed on standard output, alone on the first line")
    p.add_argument("--tls-cert", metavar="PEM", help="certificate (chain) for STARTTLS; offers STARTTLS")
    p.add_argument("--tls-key", metavar="PEM", help="private key for --tls-cert")
    p.add_argument("--reply", action="append", metavar="STAGE=CODE [TEXT]",
                   help="answer CODE (with TEXT; '|' separates the lines of a multi-line reply) at "
                        "STAGE instead of the normal reply; repeatable")
    p.add_argument("--stall", action="append", metavar="STAGE", choices=STAGES,
                   help="never answer at STAGE (the client's timeout fires); repeatable")
    p.add_argument("--log", metavar="FILE", help="append every command, reply and event to FILE")
    p.add_argument("--max-sessions", type=int, metavar="N", help="exit after N sessions ended")
    p.add_argument("--control", action="store_true",
                   help="read settings from standard input while running, one a line, each "
                        "answered 'ok' or 'error: ...' on standard output: 'reset' (no replies "
                        "or stalls, STARTTLS as started), 'reply STAGE CODE [TEXT]', 'stall "
                        "STAGE', 'tls on|off', 'dir FOLDER' (numbering starts again at 1). "
                        "The sink exits at the end of standard input")
    args = p.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if not os.path.isdir(args.dir):
        p.error("--dir %s is not a folder" % args.dir)
    cfg = Config(args)
    servers = []
    port = args.port
    for host in args.host or ["127.0.0.1"]:
        cls = type("Server6" if ":" in host else "Server4", (Server,),
                   {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET})
        try:
            server = cls((host, port), Handler)
        except OSError as e:
            if not servers:
                raise
            print("smtp-sink: cannot listen on [%s]:%d: %s" % (host, port, e), file=sys.stderr)
            continue
        server.cfg = cfg
        server.all = servers
        port = server.server_address[1]
        servers.append(server)
    print(port, flush=True)
    if args.control:
        threading.Thread(target=control_loop, args=(cfg, servers), daemon=True).start()
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        servers[0].serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    for server in servers:
        server.server_close()


if __name__ == "__main__":
    main()
