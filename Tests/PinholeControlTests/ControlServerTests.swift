import Foundation
import Glibc
@testable import PinholeDaemon
import PinholeCore
import PinholeNetfilter
import XCTest

final class ControlServerTests: XCTestCase {
    private let statusResponse = ControlResponse(ok: true, closed: 7)

    func testRequestReachesHandlerWithPeerCredentialsAndResponseComesBack() throws {
        try withServerAndClient(socket: "run/sub/control.sock") { server, client in
            sendAll(client, Array(#"{"command":"flush","service":"public-ftp"}"#.utf8) + [0x0a])

            var seen: [(ControlRequest, PeerCredentials)] = []
            drive(server, handler: { req, peer in seen.append((req, peer)); return self.statusResponse }, until: { !seen.isEmpty })
            XCTAssertEqual(seen.count, 1)
            XCTAssertEqual(seen.first?.0, ControlRequest(command: .flush, service: "public-ftp"))
            XCTAssertEqual(seen.first?.1.pid, getpid())
            XCTAssertEqual(seen.first?.1.uid, getuid())
            XCTAssertEqual(seen.first?.1.gid, getgid())
            XCTAssertEqual(decodeResponse(readToEnd(client)), statusResponse)
            XCTAssertEqual(server.fileDescriptors.count, 1, "the connection is closed after one answer")
        }
    }

    func testSocketIsRootOnlyAndItsDirectoryIsCreated() throws {
        let dir = TempDirectory()
        let path = dir.path + "/a/b/control.sock"
        let server = try ControlServer(path: path, group: nil)
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat(dir.path + "/a/b", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o755)
        server.close()
        XCTAssertNotEqual(stat(path, &info), 0, "close() removes the socket")
    }

    func testSocketGroupMakesItGroupReadable() throws {
        guard getuid() == 0 else { throw XCTSkip("chown to a group needs root") }
        let dir = TempDirectory()
        let path = dir.path + "/control.sock"
        let server = try ControlServer(path: path, group: "root")
        defer { server.close() }
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o660)
        XCTAssertEqual(info.st_gid, 0)
    }

    /// Exit 2 (no restart by the unit) only where starting again must fail the same way.
    func testOnlySandboxRefusalsAndForeignTablesAreBeyondARestart() {
        errno = EROFS
        XCTAssertTrue(ControlServerError.os("bind /etc/x.sock").restartCannotFix)
        errno = EADDRINUSE
        XCTAssertFalse(ControlServerError.os("bind /run/x.sock").restartCannotFix)
        XCTAssertTrue(DaemonError.controlSocket("chown", restartCannotFix: true).restartCannotFix)
        XCTAssertFalse(DaemonError.controlSocket("listen", restartCannotFix: false).restartCannotFix)
        XCTAssertTrue(DaemonError.tableNotOurs("t").restartCannotFix)
        let noNetlink = NetfilterError(operation: "open netlink socket for nftables", code: EAFNOSUPPORT)
        XCTAssertTrue(DaemonError.netfilter(noNetlink).restartCannotFix)
        XCTAssertFalse(DaemonError.netfilter(NetfilterError(operation: "bind NFLOG group 2121", code: EBUSY)).restartCannotFix)
        XCTAssertFalse(DaemonError.system("socket", EMFILE).restartCannotFix)
        XCTAssertFalse(DaemonError.attachSet("set gone").restartCannotFix)
    }

    func testUnknownGroupIsAnError() {
        let dir = TempDirectory()
        XCTAssertThrowsError(try ControlServer(path: dir.path + "/c.sock", group: "no-such-group-pinhole")) { error in
            XCTAssertTrue("\(error)".contains("socket_group: no group \"no-such-group-pinhole\" on this host"), "\(error)")
        }
    }

    func testStaleSocketIsReplacedButLiveOneAndPlainFilesAreNot() throws {
        let dir = TempDirectory()
        let path = dir.path + "/control.sock"
        // A stale socket: bound, then its owner went away without unlinking.
        let stale = try ControlServer.listen(path: path, gid: nil)
        close(stale)
        let server = try ControlServer(path: path, group: nil)
        XCTAssertThrowsError(try ControlServer(path: path, group: nil)) { error in
            XCTAssertTrue("\(error)".contains("already listening"), "\(error)")
        }
        server.close()

        let plain = dir.path + "/file"
        XCTAssertTrue(FileManager.default.createFile(atPath: plain, contents: Data("keep".utf8)))
        XCTAssertThrowsError(try ControlServer(path: plain, group: nil)) { error in
            XCTAssertTrue("\(error)".contains("is not a socket"), "\(error)")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: plain), Data("keep".utf8))
    }

    func testBadJSONGetsAClearErrorAndNeverReachesTheHandler() throws {
        for junk in ["{not json", "{\"command\":\"reboot\"}", "[]", "\u{0}\u{1}"] {
            let dir = TempDirectory()
            let path = dir.path + "/c.sock"
            let server = try ControlServer(path: path, group: nil)
            let client = connectClient(path)
            sendAll(client, Array(junk.utf8) + [0x0a])
            var calls = 0
            var answer: [UInt8] = []
            drive(server, rounds: 10, handler: { _, _ in calls += 1; return self.statusResponse })
            answer = readToEnd(client)
            close(client)
            server.close()
            XCTAssertEqual(calls, 0, junk)
            let response = decodeResponse(answer)
            XCTAssertEqual(response?.ok, false, junk)
            XCTAssertTrue(response?.error?.contains("bad request") == true, "\(junk): \(String(describing: response))")
        }
    }

    func testOversizedRequestIsRefused() throws {
        try withServerAndClient { server, client in
            // More than the limit and no newline; written from another thread since the
            // server must read while we write.
            let big = [UInt8](repeating: UInt8(ascii: "x"), count: ControlServer.maxRequestBytes + 4096)
            let writer = Thread { sendAll(client, big) }
            writer.start()
            var calls = 0
            var accepted = false
            drive(server, rounds: 100, handler: { _, _ in calls += 1; return self.statusResponse }, until: {
                let open = server.fileDescriptors.count
                accepted = accepted || open == 2
                return accepted && open == 1
            })
            writer.cancel()
            XCTAssertEqual(calls, 0)
            let response = decodeResponse(readToEnd(client))
            XCTAssertEqual(response?.ok, false)
            XCTAssertTrue(response?.error?.contains("request too long") == true, String(describing: response))
        }
    }

    func testRequestWithoutNewlineIsAnsweredAtEndOfStream() throws {
        try withServerAndClient { server, client in
            sendAll(client, Array(#"{"command":"list"}"#.utf8))
            shutdown(client, Int32(SHUT_WR))
            var got: ControlRequest?
            drive(server, handler: { req, _ in got = req; return ControlResponse(ok: true, pinholes: []) }, until: { got != nil })
            XCTAssertEqual(got, ControlRequest(command: .list))
            XCTAssertEqual(decodeResponse(readToEnd(client)), ControlResponse(ok: true, pinholes: []))
        }
    }

    func testSilentClientIsDroppedAfterItsDeadline() throws {
        try withServerAndClient { server, client in
            drive(server, rounds: 5, handler: { _, _ in self.statusResponse })
            XCTAssertEqual(server.fileDescriptors.count, 2, "listener + the silent client")
            usleep(useconds_t(ControlServer.requestDeadlineMs * 1000 + 100_000))
            XCTAssertEqual(server.fileDescriptors.count, 1, "the silent client is gone")
            XCTAssertEqual(readToEnd(client), [], "dropped without an answer")
        }
    }

    func testClientThatDoesNotReadIsDroppedWithoutStallingTheDaemon() throws {
        try withServerAndClient { server, client in
            var small = Int32(4096)
            setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            sendAll(client, Array(#"{"command":"list"}"#.utf8) + [0x0a])
            let huge = ControlResponse(ok: true, pinholes: (0..<40_000).map { samplePinhole($0) })
            let start = ControlServer.monotonicMs()
            var answered = false
            drive(server, rounds: 5, handler: { _, _ in answered = true; return huge }, until: { answered })
            let elapsed = ControlServer.monotonicMs() - start
            XCTAssertTrue(answered)
            XCTAssertLessThan(elapsed, 2000, "answering does not wait for the client")
            XCTAssertEqual(server.fileDescriptors.count, 2, "kept, polled for POLLOUT, until it stalls too long")
            usleep(useconds_t(ControlServer.answerStallMs * 1000 + 100_000))
            XCTAssertEqual(server.fileDescriptors.count, 1, "the non-reading client was dropped after its deadline")
        }
    }

    func testManyClientsAreCapped() throws {
        let dir = TempDirectory()
        let path = dir.path + "/c.sock"
        let server = try ControlServer(path: path, group: nil)
        defer { server.close() }
        // One at a time, so a blocking connect never waits on a full backlog.
        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        for _ in 0..<(ControlServer.maxClients + 4) {
            clients.append(connectClient(path))
            drive(server, rounds: 1, handler: { _, _ in self.statusResponse })
        }
        XCTAssertEqual(server.fileDescriptors.count, 1 + ControlServer.maxClients)
    }

    func testFlushNeedsRootButListAndStatusDoNot() {
        let user = PeerCredentials(pid: 42, uid: 1000, gid: 1000)
        let root = PeerCredentials(pid: 43, uid: 0, gid: 0)
        var calls = 0
        let handler: (ControlRequest, PeerCredentials) -> ControlResponse = { _, _ in calls += 1; return ControlResponse(ok: true) }
        let flush = Array(#"{"command":"flush"}"#.utf8)
        XCTAssertEqual(ControlServer.respond(to: flush, peer: user, handler: handler), ControlResponse(ok: false, error: "flush requires root"))
        XCTAssertEqual(calls, 0)
        XCTAssertEqual(ControlServer.respond(to: flush, peer: root, handler: handler), ControlResponse(ok: true))
        XCTAssertEqual(ControlServer.respond(to: Array(#"{"command":"list"}"#.utf8), peer: user, handler: handler), ControlResponse(ok: true))
        XCTAssertEqual(ControlServer.respond(to: Array(#"{"command":"status"}"#.utf8), peer: user, handler: handler), ControlResponse(ok: true))
        XCTAssertEqual(calls, 3)
    }

    func testResponseEncodingIsOneSortedLine() {
        let bytes = ControlServer.encode(ControlResponse(ok: false, error: "x"))
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), #"{"error":"x","ok":false}"# + "\n")
    }

    /// A list goes through ListJSON, everything else through JSONEncoder:
    /// the same line either way.
    func testListAnswerIsTheLineJSONEncoderWrites() throws {
        let p = PinholeInfo(service: "lab/\"x\"", mode: .active, family: .ipv6, initiator: "2001:db8:2::10",
                            responder: "2001:db8::2", port: 50_001,
                            session: .init(client: "2001:db8::2", client_port: 40_000, server: "2001:db8:2::10", server_port: 21),
                            created: "2026-12-07T03:50:00.123Z", expires_in: 12.5)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for response in [ControlResponse(ok: true, pinholes: [p, p]), ControlResponse(ok: true, pinholes: []),
                         ControlResponse(ok: true, closed: 2), ControlResponse(ok: false, error: "flush requires root")] {
            XCTAssertEqual(String(decoding: ControlServer.encode(response), as: UTF8.self),
                           String(decoding: try encoder.encode(response), as: UTF8.self) + "\n")
        }
        var bad = p
        bad.expires_in = .nan
        XCTAssertEqual(String(decoding: ControlServer.encode(ControlResponse(ok: true, pinholes: [bad])), as: UTF8.self),
                       #"{"error":"internal error: response could not be encoded","ok":false}"# + "\n",
                       "no JSON form: the same refusal as before")
    }
}
