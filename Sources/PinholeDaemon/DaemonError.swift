import Glibc
import PinholeNetfilter

/// Why pinholed could not start or had to stop, in words for the operator.
public enum DaemonError: Error, CustomStringConvertible {
    case system(String, Int32)
    case netfilter(NetfilterError)
    case attachSet(String)
    /// A failure whose text already carries the OS reason (the control socket's).
    case described(String)
    /// The policy's `table:` names a table holding what pinholed did not create.
    case tableNotOurs(String)

    public var description: String {
        switch self {
        case .system(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        case .netfilter(let e): return e.description
        case .attachSet(let text), .described(let text), .tableNotOurs(let text): return text
        }
    }
}
