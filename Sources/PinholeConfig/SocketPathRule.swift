/// What a control socket path must be. One rule for the policy's `socket:` and
/// `pinholed --socket`, so the flag cannot accept what the file refuses.
public enum SocketPathRule {
    /// Why `path` cannot be the control socket, or nil when it can.
    public static func problem(_ path: String) -> String? {
        // Relative paths would depend on the daemon's working directory,
        // which systemd sets to / and a shell to wherever it happens to be.
        guard path.hasPrefix("/"), !path.contains("\0") else {
            return "\"\(path)\" is not an absolute path; write it starting with / (default \(PolicyDefaults.socket))"
        }
        guard path.utf8.count <= PolicyDefaults.maxSocketPathBytes else {
            return "the path is \(path.utf8.count) bytes; a Unix socket path can be at most \(PolicyDefaults.maxSocketPathBytes)"
        }
        return nil
    }
}
