import Glibc

/// Why the control socket could not be set up; the text names the path and the OS reason.
public struct ControlServerError: Error, CustomStringConvertible {
    public var description: String

    init(_ text: String) { description = text }

    /// `what: strerror(errno)`, read at once, with advice where the reason
    /// has a usual cause.
    static func os(_ what: String) -> ControlServerError {
        let code = errno
        return ControlServerError("\(what): \(String(cString: strerror(code)))\(hint(for: code))")
    }

    /// The packaged unit has ProtectSystem=strict: outside its
    /// RuntimeDirectory every path is read-only, so a `socket:` elsewhere
    /// fails with EROFS, which alone does not say why.
    static func hint(for code: Int32) -> String {
        guard code == EROFS else { return "" }
        return " (under the packaged systemd unit only /run/nft-pinhole is writable: put `socket:` there,"
            + " or add ReadWritePaths= with its directory in a drop-in, systemctl edit nft-pinhole)"
    }
}
