// Test-only LD_PRELOAD: the kernel refuses the race guard's NFQUEUE rule of one
// table, as it would when something fails after the nft script committed.
// SynQueueRule sends NFT_MSG_NEWRULE with the xt "NFQUEUE" target by sendto;
// when its table is $FAIL_QUEUE_RULE_TABLE, the copy sent gets a chain name that
// does not exist (first letter 'X'), so the kernel answers ENOENT. Every other
// message passes unchanged.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);

// The attribute of `type` at the top level of an nf_tables message, or NULL.
static struct nlattr *attribute(struct nlmsghdr *h, int type) {
    char *p = (char *)h + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
    char *end = (char *)h + h->nlmsg_len;
    while (p + sizeof(struct nlattr) <= end) {
        struct nlattr *a = (struct nlattr *)p;
        if (a->nla_len < sizeof(*a) || p + a->nla_len > end) return NULL;
        if ((a->nla_type & NLA_TYPE_MASK) == type) return a;
        p += NLA_ALIGN(a->nla_len);
    }
    return NULL;
}

// Renames the chain of every NFQUEUE rule for `table` in the batch `buf`.
static int break_rules(char *buf, size_t len, const char *table) {
    int broken = 0;
    for (size_t off = 0; off + sizeof(struct nlmsghdr) <= len;) {
        struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
        if (h->nlmsg_len < sizeof(*h) || off + h->nlmsg_len > len) break;
        if (h->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE) &&
            memmem(h, h->nlmsg_len, "NFQUEUE", sizeof("NFQUEUE"))) {
            struct nlattr *t = attribute(h, NFTA_RULE_TABLE), *c = attribute(h, NFTA_RULE_CHAIN);
            if (t && c && c->nla_len > NLA_HDRLEN && strcmp((char *)t + NLA_HDRLEN, table) == 0) {
                ((char *)c + NLA_HDRLEN)[0] = 'X';
                broken++;
            }
        }
        off += NLMSG_ALIGN(h->nlmsg_len);
    }
    return broken;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t alen) {
    static sendto_fn real;
    if (!real) real = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
    const char *table = getenv("FAIL_QUEUE_RULE_TABLE");
    char *copy = table ? malloc(len) : NULL;
    if (!copy) return real(fd, buf, len, flags, addr, alen);
    memcpy(copy, buf, len);
    if (break_rules(copy, len, table) > 0) fprintf(stderr, "[preload] broke the NFQUEUE rule of table inet %s\n", table);
    ssize_t n = real(fd, copy, len, flags, addr, alen);
    free(copy);
    return n;
}
