import Foundation
import Glibc
@testable import PinholeDaemon
import PinholeCore
import XCTest

/// A fresh directory under /tmp for one test's socket, removed afterwards.
final class TempDirectory {
    let path: String

    init() {
        var template = Array("/tmp/pinhole-ctl-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    deinit {
        _ = try? FileManager.default.removeItem(atPath: path)
    }
}

/// Polls the server's descriptors as the daemon does and dispatches ready ones, up to
/// `rounds` times or until `done` says stop; the server runs on the test thread.
func drive(_ server: ControlServer, rounds: Int = 50, handler: (ControlRequest, PeerCredentials) -> ControlResponse,
           until done: () -> Bool = { false }) {
    for _ in 0..<rounds {
        if done() { return }
        var fds = server.pollDescriptors
        guard poll(&fds, nfds_t(fds.count), 20) >= 0 else { return }
        for p in fds where p.revents != 0 { server.handleReady(fd: p.fd, handler: handler) }
    }
}

/// A blocking client socket connected to `path` (receive timeout 2 s so a test cannot hang).
func connectClient(_ path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, b) in path.utf8.enumerated() { raw[i] = b }
    }
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    XCTAssertEqual(rc, 0, "connect \(path): \(String(cString: strerror(errno)))")
    var tv = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { return }
        sent += n
    }
}

/// Everything the server sent until it closed (or 2 s passed).
func readToEnd(_ fd: Int32) -> [UInt8] {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return out }
        out += chunk[..<n]
    }
}

func decodeResponse(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> ControlResponse? {
    XCTAssertEqual(bytes.last, 0x0a, "a response is one line ending in a newline", file: file, line: line)
    XCTAssertEqual(bytes.filter { $0 == 0x0a }.count, 1, "exactly one line", file: file, line: line)
    return try? JSONDecoder().decode(ControlResponse.self, from: Data(bytes))
}

func samplePinhole(_ n: Int, family: IPFamily = .ipv4) -> PinholeInfo {
    let (client, server) = family == .ipv4 ? ("198.51.100.7", "203.0.113.10") : ("2001:db8:1::7", "2001:db8:2::10")
    return PinholeInfo(service: "public-ftp", mode: .passive, family: family, initiator: client, responder: server,
                       port: UInt16(50000 + n % 1000),
                       session: .init(client: client, client_port: 40000, server: server, server_port: 21),
                       created: "2026-01-01T00:00:00Z", expires_in: 29.5)
}

/// A control server on a fresh socket (`socket`, below a new temporary
/// directory) and one client connected to it, both closed when `body` returns.
func withServerAndClient(socket: String = "c.sock", _ body: (ControlServer, Int32) throws -> Void) throws {
    let dir = TempDirectory()
    let path = dir.path + "/" + socket
    let server = try ControlServer(path: path, group: nil)
    defer { server.close() }
    let client = connectClient(path)
    defer { close(client) }
    try withExtendedLifetime(dir) { try body(server, client) }
}
