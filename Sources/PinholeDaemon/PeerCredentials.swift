import Glibc

/// Who is on the other end of a control connection, from the kernel
/// (`SO_PEERCRED`), not from anything the client says.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// `getsockopt(SO_PEERCRED)` on a connected Unix socket; nil if the kernel says no.
    static func of(socket fd: Int32) -> PeerCredentials? {
        // struct ucred (pid_t, uid_t, gid_t); Glibc's Swift module hides it behind _GNU_SOURCE.
        var raw: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        let rc = withUnsafeMutableBytes(of: &raw) { getsockopt(fd, SOL_SOCKET, SO_PEERCRED, $0.baseAddress, &length) }
        guard rc == 0, length == 12 else { return nil }
        return PeerCredentials(pid: raw.0, uid: raw.1, gid: raw.2)
    }
}
