// Umbrella header for the netfilter C libraries. Order matters (see
// NETLINK-NOTES): libc socket headers before <linux/...>, nfnetlink headers
// before libnetfilter_conntrack, <sys/uio.h> before libnftnl's batch.h.
#ifndef C_NETFILTER_H
#define C_NETFILTER_H
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/uio.h>
#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <sched.h>
#include <poll.h>

#include <linux/netlink.h>
#include <linux/filter.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_compat.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/batch.h>
#include <libnftnl/set.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <nftables/libnftables.h>

/// Kernel >= 6.3 idempotent element delete; Debian 12's nf_tables.h stops before it.
#define CNF_NFT_MSG_DESTROYSETELEM 30

/// MNL_SOCKET_BUFFER_SIZE is a macro calling getpagesize(): Swift cannot import it.
static inline size_t cnf_mnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }

/// NFNL_MSG_TYPE is a function-like macro: Swift cannot import it.
static inline uint16_t cnf_nfnl_msg_type(uint16_t subsys, uint16_t msg) { return (uint16_t)((subsys << 8) | msg); }

/// NFCT_ALL_CT_GROUPS is a macro built from other macros that does not import.
static inline unsigned cnf_nfct_all_ct_groups(void) { return NFCT_ALL_CT_GROUPS; }

/// XT_ALIGN is a function-like macro: the compat target info length the kernel insists on.
static inline size_t cnf_xt_nfq_info_v3_size(void) { return XT_ALIGN(sizeof(struct xt_NFQ_info_v3)); }

/// errno is a thread-local macro; reading it through a function is reliable across Glibc versions.
static inline int cnf_errno(void) { return errno; }

/// fcntl(2) is variadic, which Swift cannot call.
int cnf_set_nonblocking(int fd);

/// ppoll(2) is declared only under _GNU_SOURCE, which Glibc's module map does
/// not set: poll(2) with a timeout finer than a millisecond.
int cnf_poll_ns(struct pollfd *fds, unsigned long n, long long timeout_ns);

/// prctl(2) is variadic: PR_SET_TIMERSLACK, so short sleeps end on time
/// (a thread's default slack, 50 µs, is half of a copy-polling interval).
int cnf_set_timer_slack_ns(unsigned long ns);

/// setns(2) and CLONE_NEWNET need _GNU_SOURCE, which Swift imports of <sched.h> lack.
int cnf_setns_net(int fd);

/// The struct is packed in the kernel header; its size is part of the wire format.
_Static_assert(sizeof(struct nfqnl_msg_config_params) == 5, "nfqnl_msg_config_params is packed");
_Static_assert(sizeof(struct nfulnl_msg_config_mode) == 6, "nfulnl_msg_config_mode layout");
_Static_assert(sizeof(struct xt_NFQ_info_v3) == 6, "xt_NFQ_info_v3: three __u16");
_Static_assert(sizeof(struct nfgenmsg) == 4, "nfgenmsg layout");
_Static_assert(sizeof(struct nlmsghdr) == 16, "nlmsghdr layout");
#endif
