import CNetfilter
import Glibc

/// Moves the calling thread into a named network namespace (`ip netns add`
/// creates /run/netns/NAME). Netlink and IP sockets opened afterwards on this
/// thread belong to that namespace. For tests and tools; the daemon runs where started.
public enum NetworkNamespace {
    /// `setns(open("/run/netns/NAME"), CLONE_NEWNET)` for the calling thread only.
    public static func enter(named name: String) throws(NetfilterError) {
        let path = "/run/netns/\(name)"
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .fromErrno("open network namespace", context: path) }
        defer { close(fd) }
        guard cnf_setns_net(fd) == 0 else { throw .fromErrno("enter network namespace", context: path) }
    }
}
