"""Holds /dev/cpu_dma_latency at 0 until SIGTERM or until its parent dies.

With a PM QoS request of 0 us, the cpuidle governor keeps idle CPUs in the
polling state instead of halting them, so a wakeup is a flag the idle loop
sees, not an interrupt to a halted CPU (on a VM: no halt exit and no
re-entry). The kernel drops the request when the file is closed, however
this process ends. Usage: idle_poll.py (as root; bench/run, BENCH_IDLE_POLL=1).
"""
import ctypes
import os
import signal
import struct
import sys

PR_SET_PDEATHSIG = 1


def main():
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
        # Never closed: the request lasts as long as this descriptor is open.
        fd = os.open("/dev/cpu_dma_latency", os.O_WRONLY)
        os.write(fd, struct.pack("i", 0))
    except OSError as e:
        sys.exit("idle_poll.py: cannot hold /dev/cpu_dma_latency at 0: %s" % e)
    print("holding /dev/cpu_dma_latency at 0", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
