// Test-only LD_PRELOAD: a kernel before 6.10, which never ACKs NFNL_MSG_BATCH_END.
// NLM_F_ACK is cleared on BATCH_END in a copy of every batch sent by sendto, so a
// newer kernel sends no END ACK either. Every other message passes unchanged.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t alen) {
    static sendto_fn real;
    if (!real) real = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
    char *copy = malloc(len);
    if (!copy) return real(fd, buf, len, flags, addr, alen);
    memcpy(copy, buf, len);
    for (size_t off = 0; off + sizeof(struct nlmsghdr) <= len;) {
        struct nlmsghdr *h = (struct nlmsghdr *)(copy + off);
        if (h->nlmsg_len < sizeof(*h) || off + h->nlmsg_len > len) break;
        if (h->nlmsg_type == NFNL_MSG_BATCH_END && (h->nlmsg_flags & NLM_F_ACK)) {
            h->nlmsg_flags &= ~NLM_F_ACK;
            fprintf(stderr, "[preload] no ACK asked for BATCH_END seq %u\n", h->nlmsg_seq);
        }
        off += NLMSG_ALIGN(h->nlmsg_len);
    }
    ssize_t n = real(fd, copy, len, flags, addr, alen);
    free(copy);
    return n;
}
