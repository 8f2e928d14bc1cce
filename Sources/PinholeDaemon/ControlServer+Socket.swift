import Glibc
import PinholeConfig

/// Creating, binding and removing the listening socket.
extension ControlServer {
    /// A non-blocking AF_UNIX listener at `path`, 0600 (or 0660 with group `gid`).
    static func listen(path: String, gid: gid_t?) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard !pathBytes.isEmpty, pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ControlServerError("\(path): a Unix socket path must be 1-107 bytes")
        }
        try makeParentDirectory(of: path)
        try removeStaleSocket(path)

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlServerError.os("socket(AF_UNIX)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
        }
        // umask so the socket is never, even briefly, connectable by others.
        let oldMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(oldMask)
        guard bound == 0 else {
            let error = ControlServerError.os("bind \(path)")
            Glibc.close(fd)
            throw error
        }
        do {
            if let gid {
                guard chown(path, getuid(), gid) == 0 else {
                    let code = errno
                    // Without CAP_CHOWN (the unit keeps only CAP_NET_ADMIN) only a member may give the group.
                    let hint = code == EPERM ? " (pinholed is not in group \(gid): under systemd, add SupplementaryGroups= with that group in a drop-in, systemctl edit nft-pinhole)" : ""
                    throw ControlServerError("chown \(path) to group \(gid): \(String(cString: strerror(code)))\(hint)",
                                             restartCannotFix: code == EPERM)
                }
                guard chmod(path, 0o660) == 0 else { throw ControlServerError.os("chmod \(path)") }
            }
            guard Glibc.listen(fd, 16) == 0 else { throw ControlServerError.os("listen \(path)") }
        } catch {
            Glibc.close(fd)
            unlink(path)
            throw error
        }
        return fd
    }

    /// The group id of `name`, or an error saying the group does not exist.
    /// (The policy's load checked it already; the group may have gone since.)
    static func groupID(_ name: String) throws -> gid_t {
        let answer = HostGroups.lookup(name)
        guard case .found(let gid) = answer else {
            throw ControlServerError("socket_group: \(HostGroups.problem(name, answer) ?? "no group \"\(name)\"")")
        }
        return gid
    }

    /// mkdir -p with mode 0755 for the missing components.
    private static func makeParentDirectory(of path: String) throws {
        var components = path.split(separator: "/").dropLast()
        var prefix = ""
        while let next = components.first {
            components = components.dropFirst()
            prefix += "/" + next
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw ControlServerError.os("mkdir \(prefix)")
            }
        }
    }

    /// Removes a socket left by a pinholed that died; refuses to remove a live
    /// one (another pinholed is running) or anything that is not a socket.
    private static func removeStaleSocket(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw ControlServerError.os("stat \(path)")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ControlServerError("\(path) exists and is not a socket; refusing to remove it")
        }
        if isListening(path) {
            throw ControlServerError("\(path): another pinholed is already listening there")
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw ControlServerError.os("unlink stale \(path)") }
    }

    private static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }
}
