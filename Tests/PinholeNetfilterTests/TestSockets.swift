import Glibc
import Foundation

/// Minimal blocking TCP over Glibc for tests that make their own traffic
/// inside a test namespace (TEST-NET addresses only).
enum TestSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private static func withAddress<T>(_ host: String, _ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t, Int32) throws -> T) throws -> T {
        if host.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &a.sin6_addr) == 1 else { throw Failure(description: "bad address \(host)") }
            return try withUnsafePointer(to: &a) { try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size), AF_INET6) } }
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw Failure(description: "bad address \(host)") }
        return try withUnsafePointer(to: &a) { try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in>.size), AF_INET) } }
    }

    static func listen(_ host: String, _ port: UInt16) throws -> Int32 {
        try withAddress(host, port) { sa, len, family in
            let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard fd >= 0, bind(fd, sa, len) == 0, Glibc.listen(fd, 8) == 0 else {
                throw Failure(description: "listen \(host):\(port): errno \(errno)")
            }
            return fd
        }
    }

    static func connect(from source: String, to host: String, _ port: UInt16) throws -> Int32 {
        let fd = try withAddress(source, 0) { sa, len, family in
            let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0, bind(fd, sa, len) == 0 else { throw Failure(description: "bind \(source): errno \(errno)") }
            return fd
        }
        try withAddress(host, port) { sa, len, _ in
            guard Glibc.connect(fd, sa, len) == 0 else { throw Failure(description: "connect \(source)->\(host):\(port): errno \(errno)") }
        }
        return fd
    }

    /// Starts a non-blocking connect; the SYN is on its way when this returns.
    static func startConnect(from source: String, to host: String, _ port: UInt16) throws -> Int32 {
        let fd = try withAddress(source, 0) { sa, len, family in
            let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0, bind(fd, sa, len) == 0 else { throw Failure(description: "bind \(source): errno \(errno)") }
            return fd
        }
        try withAddress(host, port) { sa, len, _ in
            guard Glibc.connect(fd, sa, len) == 0 || errno == EINPROGRESS else {
                throw Failure(description: "connect \(source)->\(host):\(port): errno \(errno)")
            }
        }
        return fd
    }

    /// True when a non-blocking connect completed successfully within `ms`.
    static func connected(_ fd: Int32, within ms: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&p, 1, ms) > 0 else { return false }
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        return err == 0
    }

    static func accept(_ listener: Int32) throws -> Int32 {
        let fd = Glibc.accept(listener, nil, nil)
        guard fd >= 0 else { throw Failure(description: "accept: errno \(errno)") }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// One short exchange and an orderly close from both sides.
    static func exchange(from source: String, to host: String, _ port: UInt16, listener: Int32, text: String) throws {
        let c = try connect(from: source, to: host, port)
        let s = try accept(listener)
        send(c, text)
        var buf = [UInt8](repeating: 0, count: 256)
        _ = recv(s, &buf, buf.count, 0)
        close(c)
        close(s)
    }

    /// poll() one descriptor; true when readable within `ms`.
    static func readable(_ fd: Int32, within ms: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, ms) > 0
    }
}
