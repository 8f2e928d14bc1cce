import CNetfilter

/// A failed call into the kernel or a netfilter library: what we were doing,
/// the errno (by name and text) and what it was about (table, set, element).
public struct NetfilterError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The operation, e.g. `add set elements` or `bind NFLOG group 2121`.
    public var operation: String
    /// errno value; 0 when the failure has no errno (e.g. nft's own syntax errors).
    public var code: Int32
    /// What the operation was about: `set inet filter pinholes4, element 198.51.100.2 . ...`.
    public var context: String?
    /// Extra text from the library (nft's error output), if any.
    public var detail: String?
    /// The one set element a failed batch was refused for, when the kernel
    /// pinpointed it (nil when the failure is not about one element).
    public var element: FailedElement?

    public init(operation: String, code: Int32, context: String? = nil, detail: String? = nil,
                element: FailedElement? = nil) {
        self.operation = operation
        self.code = code
        self.context = context
        self.detail = detail
        self.element = element
    }

    /// The symbolic errno name: `ENOENT`, `ENOBUFS`, or `errno 123`.
    public var errnoName: String { Self.name(ofErrno: code) }

    public var isNoBuffers: Bool { code == ENOBUFS }
    public var isNotFound: Bool { code == ENOENT }

    public var description: String {
        var s = operation
        if let context { s += " (\(context))" }
        if code != 0 { s += ": \(errnoName) \(String(cString: strerror(code)))" }
        if let detail, !detail.isEmpty { s += (code != 0 ? "; " : ": ") + detail }
        return s
    }

    /// An error from the current errno.
    static func fromErrno(_ operation: String, context: String? = nil) -> NetfilterError {
        NetfilterError(operation: operation, code: cnf_errno(), context: context)
    }

    static func name(ofErrno code: Int32) -> String {
        switch code {
        case EPERM: return "EPERM"
        case ENOENT: return "ENOENT"
        case EINTR: return "EINTR"
        case EIO: return "EIO"
        case EBADF: return "EBADF"
        case EAGAIN: return "EAGAIN"
        case ENOMEM: return "ENOMEM"
        case EACCES: return "EACCES"
        case EFAULT: return "EFAULT"
        case EBUSY: return "EBUSY"
        case EEXIST: return "EEXIST"
        case ENODEV: return "ENODEV"
        case EINVAL: return "EINVAL"
        case ENFILE: return "ENFILE"
        case EMFILE: return "EMFILE"
        case ENOSPC: return "ENOSPC"
        case ERANGE: return "ERANGE"
        case E2BIG: return "E2BIG"
        case EMSGSIZE: return "EMSGSIZE"
        case EPROTONOSUPPORT: return "EPROTONOSUPPORT"
        case EOPNOTSUPP: return "EOPNOTSUPP"
        case EAFNOSUPPORT: return "EAFNOSUPPORT"
        case ENOBUFS: return "ENOBUFS"
        case ETIMEDOUT: return "ETIMEDOUT"
        case ECONNREFUSED: return "ECONNREFUSED"
        case 85: return "ERESTART"  // Linux: a concurrent ruleset change (batch generation id)
        case EPROTO: return "EPROTO"
        case ENOTCONN: return "ENOTCONN"
        case ESRCH: return "ESRCH"
        case ELOOP: return "ELOOP"
        default: return "errno \(code)"
        }
    }
}

/// Calls `body` again while it fails with EINTR; the one place that retries.
/// `body` returns -1 and sets errno on failure, like the syscalls it wraps.
@inline(__always)
func retryingEINTR<T: FixedWidthInteger & SignedInteger>(_ body: () -> T) -> T {
    while true {
        let r = body()
        if r == -1 && cnf_errno() == EINTR { continue }
        return r
    }
}
