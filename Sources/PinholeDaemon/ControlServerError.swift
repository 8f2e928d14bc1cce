import Glibc

/// Why the control socket could not be set up; the text names the path and the OS reason.
public struct ControlServerError: Error, CustomStringConvertible {
    public var description: String
    /// The host's set-up forbids this socket (a read-only path, a group
    /// pinholed may not give it): starting again fails the same way.
    public var restartCannotFix: Bool

    init(_ text: String, restartCannotFix: Bool = false) {
        description = text
        self.restartCannotFix = restartCannotFix
    }

    /// `what: strerror(errno)`, read at once, with advice where the reason
    /// has a usual cause.
    static func os(_ what: String) -> ControlServerError {
        let code = errno
        return ControlServerError("\(what): \(String(cString: strerror(code)))\(hint(for: code))",
                                  restartCannotFix: code == EROFS)
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
