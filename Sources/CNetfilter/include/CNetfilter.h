// Umbrella header for the netfilter C libraries. Order matters (see
// NETLINK-NOTES): libc socket headers before <linux/...>, nfnetlink headers
// before libnetfilter_conntrack, <sys/uio.h> before libnftnl's batch.h.
#ifndef C_NETFILTER_H
#define C_NETFILTER_H
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/uio.h>
#endif
