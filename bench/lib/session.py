#!/usr/bin/python3
"""N passive downloads inside ONE ftplib control session, each one timed.

  session.py HOST FILE N OUT

Logs in anonymously once, then RETRs FILE N times (ftplib: PASV on IPv4, EPSV on
IPv6) and writes one line per transfer to OUT: seconds (float) for a transfer that
completed, `fail MESSAGE` for one that did not. A transfer's time is one
retrbinary: TYPE I, PASV/EPSV, the data connection, RETR, up to the final 226.
The session's first RETR is not timed: it takes about twice as long as the
later ones, with the kernel helper (0.7 against 0.35 ms) and pinholed alike.
bench/run splits the N transfers into rounds of one session each, so timing it
would put one cold transfer per round into the p99 that the issue asks of "N
transfers inside one long session".
Every network operation has a timeout; after 10 failures in a row it gives up
(exit 1), so the loop is bounded in time as well as in count.
"""
import ftplib
import sys
import time

TIMEOUT = 5.0
MAX_FAILURES_IN_A_ROW = 10


def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__)
    host, remote, count, out_path = argv[1].strip("[]"), argv[2], int(argv[3]), argv[4]
    ftp = ftplib.FTP(timeout=TIMEOUT)
    ftp.connect(host, 21)
    ftp.login()
    ftp.voidcmd("TYPE I")
    in_a_row = 0
    with open(out_path, "w") as out:
        for n in range(count + 1):
            start = time.perf_counter()
            try:
                ftp.retrbinary("RETR " + remote, lambda _data: None)
                if n > 0:  # the first one is not timed (above)
                    out.write("%.6f\n" % (time.perf_counter() - start))
                in_a_row = 0
            except (OSError, EOFError, ftplib.Error) as error:
                out.write("fail %s\n" % str(error).replace("\n", " "))
                in_a_row += 1
                if in_a_row >= MAX_FAILURES_IN_A_ROW:
                    out.flush()
                    sys.exit("session.py: %d failures in a row, giving up" % in_a_row)
    try:
        ftp.quit()
    except (OSError, EOFError, ftplib.Error):
        ftp.close()


if __name__ == "__main__":
    main(sys.argv)
