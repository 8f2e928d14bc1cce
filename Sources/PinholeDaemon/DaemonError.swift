import Glibc
import PinholeNetfilter

/// Why pinholed could not start or had to stop, in words for the operator.
public enum DaemonError: Error, CustomStringConvertible {
    case system(String, Int32)
    case netfilter(NetfilterError)
    case attachSet(String)
    /// The control socket's failure, whose text already carries the OS reason.
    case controlSocket(String, restartCannotFix: Bool)
    /// The policy's `table:` names a table holding what pinholed did not create.
    case tableNotOurs(String)
    /// Not allowed to administer the network (NetAdminCapability).
    case noNetAdmin

    /// Starting again would fail the same way, so pinholed exits 2, which the
    /// unit does not restart (RestartPreventExitStatus=) instead of every 5 s for ever.
    public var restartCannotFix: Bool {
        switch self {
        case .tableNotOurs, .noNetAdmin: return true
        case .controlSocket(_, let permanent): return permanent
        // No netlink family for us: the host's sandbox (the unit's
        // RestrictAddressFamilies=, seccomp) or kernel, not a passing state.
        case .netfilter(let e): return e.code == EAFNOSUPPORT
        case .system, .attachSet: return false
        }
    }

    public var description: String {
        switch self {
        case .system(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        case .netfilter(let e): return e.description
        case .attachSet(let text), .controlSocket(let text, _), .tableNotOurs(let text): return text
        case .noNetAdmin:
            return "pinholed needs CAP_NET_ADMIN (nftables, NFLOG, NFQUEUE and conntrack all check it): run it as root;"
                + " under systemd, no User= or DynamicUser=, and a CapabilityBoundingSet= that keeps CAP_NET_ADMIN"
        }
    }
}
