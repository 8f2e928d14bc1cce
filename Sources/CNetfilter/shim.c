#define _GNU_SOURCE
#include <sched.h>
#include "CNetfilter.h"

int cnf_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }

int cnf_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
