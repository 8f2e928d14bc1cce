#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The host's groups (getgrnam_r): `socket_group` is checked when the policy
/// is loaded, so `pinholectl check` catches a missing group and pinholed
/// refuses it as a policy error (exit 2, which the unit does not restart),
/// and the control socket is given to the same lookup's answer.
public enum HostGroups {
    public enum Lookup: Equatable, Sendable {
        case found(gid_t)
        case missing
        /// The lookup itself failed (NSS unreachable, say): the reason.
        case failed(String)
    }

    public static func lookup(_ name: String) -> Lookup {
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let rc = getgrnam_r(name, &group, &buffer, buffer.count, &result)
        if rc != 0 { return .failed(String(cString: strerror(rc))) }
        return result == nil ? .missing : .found(group.gr_gid)
    }

    /// What is wrong with naming `name` in `socket_group` on this host; nil if nothing.
    public static func problem(_ name: String) -> String? { problem(name, lookup(name)) }

    /// The message for a lookup's answer; nil when it found the group.
    public static func problem(_ name: String, _ answer: Lookup) -> String? {
        switch answer {
        case .found: return nil
        case .missing: return "no group \"\(name)\" on this host (`getent group \(name)` finds none); create it or leave socket_group out"
        case .failed(let reason): return "cannot look up group \"\(name)\": \(reason)"
        }
    }
}
