#define _GNU_SOURCE
#include <sched.h>
#include <sys/prctl.h>
#include "CNetfilter.h"

int cnf_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }

int cnf_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int cnf_poll_ns(struct pollfd *fds, unsigned long n, long long timeout_ns) {
    struct timespec ts = { .tv_sec = timeout_ns / 1000000000LL, .tv_nsec = timeout_ns % 1000000000LL };
    return ppoll(fds, n, &ts, NULL);
}

int cnf_set_timer_slack_ns(unsigned long ns) { return prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0); }
