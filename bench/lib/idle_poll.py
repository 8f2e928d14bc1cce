"""Keeps idle CPUs polling instead of halting until SIGTERM or until its
parent dies.

  idle_poll.py all         every CPU: holds /dev/cpu_dma_latency at 0; the
                           kernel drops the request when the file closes,
                           however this process ends
  idle_poll.py cpus 1,2    these CPUs only: writes n/a to their
                           power/pm_qos_resume_latency_us and puts the old
                           values back on SIGTERM (a SIGKILL of this process
                           itself leaves them; `echo 0 >` each file undoes it)

With a resume latency limit of 0, the cpuidle governor keeps an idle CPU in
its polling state, so a wakeup is a flag the idle loop sees, not an
interrupt to a halted CPU (on a VM: no halt exit and no re-entry).
As root; bench/run, BENCH_IDLE_POLL.
"""
import ctypes
import os
import signal
import struct
import sys

PR_SET_PDEATHSIG = 1


def resume_latency_file(cpu):
    return "/sys/devices/system/cpu/cpu%d/power/pm_qos_resume_latency_us" % cpu


def hold_all():
    # Never closed: the request lasts as long as this descriptor is open.
    fd = os.open("/dev/cpu_dma_latency", os.O_WRONLY)
    os.write(fd, struct.pack("i", 0))
    return lambda: None


def hold_cpus(cpus):
    old = {}
    try:
        for cpu in cpus:
            with open(resume_latency_file(cpu)) as f:
                old[cpu] = f.read().strip()
            with open(resume_latency_file(cpu), "w") as f:
                f.write("n/a")
    except OSError:
        restore(old)
        raise
    return lambda: restore(old)


def restore(old):
    for cpu, value in old.items():
        with open(resume_latency_file(cpu), "w") as f:
            f.write(value)


def main(argv):
    if len(argv) == 2 and argv[1] == "all":
        hold, what = hold_all, "/dev/cpu_dma_latency at 0"
    elif len(argv) == 3 and argv[1] == "cpus":
        try:
            cpus = [int(c) for c in argv[2].split(",")]
        except ValueError:
            sys.exit("idle_poll.py: cpus must be a comma-separated list of numbers, not %r" % argv[2])
        hold, what = (lambda: hold_cpus(cpus)), "the resume latency of CPU %s at n/a" % argv[2]
    else:
        sys.exit("usage: idle_poll.py all | idle_poll.py cpus N[,N...]")
    # Ended with the benchmark even if it is killed outright: the request
    # must not outlive the run.
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        sys.exit("idle_poll.py: prctl(PR_SET_PDEATHSIG): %s" % os.strerror(ctypes.get_errno()))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.getppid() != parent:  # the parent died before prctl took effect
        sys.exit(0)
    try:
        release = hold()
    except OSError as e:
        sys.exit("idle_poll.py: cannot hold %s: %s" % (what, e))
    try:
        print("holding %s" % what, flush=True)
        while True:
            signal.pause()
    finally:
        release()


if __name__ == "__main__":
    main(sys.argv)
