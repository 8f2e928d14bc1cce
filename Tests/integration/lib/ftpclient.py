#!/usr/bin/python3
"""FTP clients for the lab, built on ftplib and raw sockets.

  ftpclient.py get HOST REMOTE LOCAL   download (ftplib: PASV on IPv4, EPSV on IPv6)
  ftpclient.py get-active HOST REMOTE LOCAL   download in active mode (PORT on IPv4, EPRT on IPv6)
  ftpclient.py list HOST               print a LIST of the root directory
  ftpclient.py probe HOST PORT         raw TCP connect: prints connected|refused|timeout
  ftpclient.py get-after-refused HOST N REMOTE   in one active session, N RETRs of
                                       missing files (prints each reply code), then
                                       RETR REMOTE (prints `REMOTE: B bytes`)
  ftpclient.py listen PORT SECONDS     accept on [::]:PORT (v4 and v6) for SECONDS,
                                       printing `accepted ADDR` for each connection
  ftpclient.py drive HOST              step by step, driven by commands on stdin:

drive mode logs in anonymously, prints `ready CLIENT_ADDR CLIENT_PORT`, then reads one
command per line and answers with one line:
  pasv            -> `port P host H`   (sent PASV, parsed the 227, no data connection)
  epsv            -> `port P`          (sent EPSV, parsed the 229, no data connection)
  nlst            -> `ok N names` | `error MESSAGE`  (connect to the last port, NLST, read)
  connect PORT    -> `connected` | `refused` | `timeout`  (raw TCP connect, 3 s)
  quit            -> `bye CODE`        (QUIT, then exits)
  active port|eprt -> `port P`         (listen on the client address, send PORT (v4) or
                                        EPRT with it; the listener waits for `activenlst`)
  activenlst      -> `ok N names` | `error MESSAGE`  (NLST; accept the server's data
                                        connection on the last listener, read)
  raw TEXT...     -> `reply LINE`      (send TEXT verbatim as one line, first reply line)
Every network operation has a timeout, so nothing here can hang.
"""
import ftplib
import socket
import sys

TIMEOUT = 5.0


def host_of(text):
    return text.strip("[]")


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def login(host):
    ftp = ftplib.FTP(timeout=TIMEOUT)
    ftp.connect(host, 21)
    ftp.login()
    return ftp


def command_get(host, remote, local, passive=True):
    ftp = login(host)
    ftp.set_pasv(passive)
    with open(local, "wb") as out:
        ftp.retrbinary("RETR " + remote, out.write)
    ftp.quit()


def command_get_after_refused(host, count, remote):
    ftp = login(host)
    ftp.set_pasv(False)
    for n in range(count):
        try:
            ftp.retrbinary("RETR missing%d" % n, lambda _: None)
            print("missing%d: transferred?" % n)
        except ftplib.error_perm as error:
            print("missing%d: %s" % (n, str(error)[:3]))
    data = []
    ftp.retrbinary("RETR " + remote, data.append)
    print("%s: %d bytes" % (remote, len(b"".join(data))))
    ftp.quit()


def command_listen(port, seconds):
    listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("::", port))
    listener.listen(8)
    listener.settimeout(seconds)
    try:
        while True:
            conn, addr = listener.accept()
            print("accepted", addr[0], flush=True)
            conn.close()
    except (socket.timeout, TimeoutError):
        pass


def command_list(host):
    ftp = login(host)
    lines = []
    ftp.retrlines("LIST", lines.append)
    ftp.quit()
    for line in lines:
        print(line)


def raw_connect(host, port, timeout):
    sock = socket.socket(family_of(host), socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((host, port))
        return "connected"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except OSError as error:
        return "error " + str(error).replace("\n", " ")
    finally:
        sock.close()


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def nlst_on(ftp, host, port):
    data = socket.socket(family_of(host), socket.SOCK_STREAM)
    data.settimeout(TIMEOUT)
    try:
        data.connect((host, port))
        reply = ftp.sendcmd("NLST")
        if not reply.startswith("1"):
            return "error NLST answered " + reply
        return read_nlst(ftp, data)
    except (OSError, ftplib.Error) as error:
        return "error " + str(error).replace("\n", " ")
    finally:
        data.close()


def read_nlst(ftp, data):
    """The NLST listing from the data connection, then the final reply, as one line."""
    chunks = []
    while True:
        chunk = data.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    data.close()
    final = ftp.voidresp()
    names = [n for n in b"".join(chunks).decode().splitlines() if n]
    return "ok %d names (%s) %s" % (len(names), ",".join(sorted(names)), final.split()[0])


def active_listen(ftp, verb):
    """Listen on the control connection's own address; announce it with PORT or EPRT."""
    local = ftp.sock.getsockname()[0]
    listener = socket.socket(family_of(local), socket.SOCK_STREAM)
    listener.settimeout(TIMEOUT)
    listener.bind((local, 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    if verb == "port":
        line = "PORT " + ",".join(local.split(".") + [str(port >> 8), str(port & 255)])
    else:
        af = 2 if ":" in local else 1
        line = "EPRT |%d|%s|%d|" % (af, local, port)
    ftp.sendcmd(line)
    return listener, port


def active_nlst_on(ftp, listener):
    try:
        reply = ftp.sendcmd("NLST")
        if not reply.startswith("1"):
            return "error NLST answered " + reply
        data, _ = listener.accept()
        data.settimeout(TIMEOUT)
        return read_nlst(ftp, data)
    except (OSError, ftplib.Error) as error:
        return "error " + str(error).replace("\n", " ")
    finally:
        listener.close()


def command_drive(host):
    ftp = login(host)
    local = ftp.sock.getsockname()
    say("ready %s %d" % (local[0], local[1]))
    port = None
    listener = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        verb = words[0]
        try:
            if verb == "pasv":
                pasv_host, port = ftplib.parse227(ftp.sendcmd("PASV"))
                say("port %d host %s" % (port, pasv_host))
            elif verb == "epsv":
                _, port = ftplib.parse229(ftp.sendcmd("EPSV"), ftp.sock.getpeername())
                say("port %d" % port)
            elif verb == "nlst":
                if port is None:
                    say("error no PASV/EPSV yet")
                else:
                    say(nlst_on(ftp, host, port))
            elif verb == "connect":
                say(raw_connect(host, int(words[1]), 3.0))
            elif verb == "active" and len(words) == 2 and words[1] in ("port", "eprt"):
                listener, active_port = active_listen(ftp, words[1])
                say("port %d" % active_port)
            elif verb == "activenlst":
                if listener is None:
                    say("error no PORT/EPRT yet")
                else:
                    say(active_nlst_on(ftp, listener))
                    listener = None
            elif verb == "raw":
                ftp.putline(line.strip("\r\n")[len("raw "):])
                say("reply " + ftp.getmultiline().splitlines()[0])
            elif verb == "quit":
                reply = ftp.sendcmd("QUIT")
                ftp.close()
                say("bye " + reply.split()[0])
                return
            else:
                say("error unknown command " + verb)
        except (OSError, ftplib.Error, EOFError) as error:
            say("error " + str(error).replace("\n", " "))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    if argv[1] == "listen" and len(argv) == 4:
        command_listen(int(argv[2]), float(argv[3]))
        return
    verb, host = argv[1], host_of(argv[2])
    if verb == "get" and len(argv) == 5:
        command_get(host, argv[3], argv[4])
    elif verb == "get-active" and len(argv) == 5:
        command_get(host, argv[3], argv[4], passive=False)
    elif verb == "get-after-refused" and len(argv) == 5:
        command_get_after_refused(host, int(argv[3]), argv[4])
    elif verb == "list":
        command_list(host)
    elif verb == "probe" and len(argv) == 4:
        print(raw_connect(host, int(argv[3]), 2.0))
    elif verb == "drive":
        command_drive(host)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
