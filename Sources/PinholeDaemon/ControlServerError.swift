import Glibc

/// Why the control socket could not be set up; the text names the path and the OS reason.
public struct ControlServerError: Error, CustomStringConvertible {
    public var description: String

    init(_ text: String) { description = text }

    /// `what: strerror(errno)`, read at once.
    static func os(_ what: String) -> ControlServerError {
        ControlServerError("\(what): \(String(cString: strerror(errno)))")
    }
}
