import Foundation
import Glibc
import PinholeConfig
import PinholeCore

/// One request to pinholed over its control socket: connect, send a JSON
/// line, read the JSON line back. Every step is bounded by `timeoutMs`.
struct ControlClient {
    static let defaultSocket = "/run/nft-pinhole/control.sock"
    /// Large enough for a full list at the pinhole limit.
    static let maxResponseBytes = 256 << 20

    var path: String
    var timeoutMs = 5000

    /// The daemon's answer; unreachable, timeouts and garbage are exit status 3,
    /// an `ok: false` answer is status 1 with the daemon's error.
    func send(_ request: ControlRequest) throws(CtlFailure) -> ControlResponse {
        let response = try exchange(request)
        guard response.ok else {
            throw CtlFailure(status: ExitStatus.failure, message: response.error ?? "pinholed refused the request")
        }
        return response
    }

    func exchange(_ request: ControlRequest) throws(CtlFailure) -> ControlResponse {
        let deadline = ControlClient.monotonicMs() + UInt64(timeoutMs)
        let fd = try connectSocket()
        defer { close(fd) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? encoder.encode(request) else { throw unreachable("cannot encode the request") }
        try writeAll(fd, Array(body) + [0x0a], deadline: deadline)
        let line = try readLine(fd, deadline: deadline)
        guard let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(line)) else {
            throw unreachable("the answer is not a control response (is this pinholed's socket?)")
        }
        return response
    }

    private func unreachable(_ reason: String) -> CtlFailure {
        CtlFailure(status: ExitStatus.unreachable, message: "cannot reach pinholed at \(path): \(reason)")
    }

    private func osFailure(_ code: Int32) -> CtlFailure {
        var reason = String(cString: strerror(code))
        switch code {
        case ENOENT, ECONNREFUSED:
            // connect(2) refuses a path that is not a socket just as it refuses a stale one.
            if code == ECONNREFUSED, let kind = FileKind.of(path: path), kind.mode != S_IFSOCK {
                reason = "it is \(kind.name), not a socket (is --socket right?)"
            } else {
                reason += " (is pinholed running?)"
            }
        case EACCES, EPERM: reason += " (run as root, or as a member of the policy's socket_group)"
        default: break
        }
        return unreachable(reason)
    }

    private func connectSocket() throws(CtlFailure) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= PolicyDefaults.maxSocketPathBytes else {
            throw unreachable("a socket path must be 1-\(PolicyDefaults.maxSocketPathBytes) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw osFailure(errno) }
        // Bounds a connect to a full backlog and each read/write (Linux applies SO_SNDTIMEO to connect).
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw code == EAGAIN || code == EINPROGRESS ? unreachable("no answer within \(timeoutMs / 1000) s") : osFailure(code)
        }
        return fd
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8], deadline: UInt64) throws(CtlFailure) {
        var sent = 0
        while sent < bytes.count {
            guard ControlClient.monotonicMs() < deadline else { throw unreachable("no answer within \(timeoutMs / 1000) s") }
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw unreachable("no answer within \(timeoutMs / 1000) s") }
            throw osFailure(errno)
        }
    }

    private func readLine(_ fd: Int32, deadline: UInt64) throws(CtlFailure) -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let newline = received.firstIndex(of: 0x0a) { return Array(received[..<newline]) }
            guard ControlClient.monotonicMs() < deadline else { throw unreachable("no answer within \(timeoutMs / 1000) s") }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                received += chunk[..<n]
                if received.count > ControlClient.maxResponseBytes { throw unreachable("the answer is over \(ControlClient.maxResponseBytes) bytes") }
                continue
            }
            if n == 0 {
                if received.isEmpty { throw unreachable("pinholed closed the connection without answering") }
                return received
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw unreachable("no answer within \(timeoutMs / 1000) s") }
            throw osFailure(errno)
        }
    }

    static func monotonicMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
