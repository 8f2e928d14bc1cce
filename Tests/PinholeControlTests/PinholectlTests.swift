import Foundation
import Glibc
import PinholeCore
@testable import PinholeDaemon
@testable import PinholectlCLI
import XCTest

/// Result of work done on another thread, handed back to the test.
private final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

final class PinholectlClientTests: XCTestCase {
    /// Runs `client.exchange` on a thread while the server runs here.
    private func exchange(_ request: ControlRequest, answer: ControlResponse, timeoutMs: Int = 5000) throws -> Result<ControlResponse, CtlFailure> {
        let dir = TempDirectory()
        let path = dir.path + "/c.sock"
        let server = try ControlServer(path: path, group: nil)
        defer { server.close() }
        let box = Box<Result<ControlResponse, CtlFailure>>()
        let client = ControlClient(path: path, timeoutMs: timeoutMs)
        Thread { box.value = Result { () throws(CtlFailure) in try client.send(request) } }.start()
        var seen: ControlRequest?
        drive(server, rounds: 250, handler: { req, _ in seen = req; return answer }, until: { box.value != nil })
        XCTAssertEqual(seen, request)
        return try XCTUnwrap(box.value)
    }

    func testListRoundTrip() throws {
        let pinholes = [samplePinhole(1), samplePinhole(2, family: .ipv6)]
        let result = try exchange(ControlRequest(command: .list), answer: ControlResponse(ok: true, pinholes: pinholes))
        XCTAssertEqual(try result.get().pinholes, pinholes)
    }

    func testDaemonErrorIsExitStatusOneWithItsMessage() throws {
        let result = try exchange(ControlRequest(command: .flush, service: "nope"),
                                  answer: ControlResponse(ok: false, error: "no service named nope in the running policy"))
        XCTAssertEqual(result.failure, CtlFailure(status: 1, message: "no service named nope in the running policy"))
    }

    func testMissingSocketIsExitStatusThreeWithAHint() throws {
        let dir = TempDirectory()
        let path = dir.path + "/absent.sock"
        XCTAssertThrowsError(try ControlClient(path: path).send(ControlRequest(command: .status))) { error in
            XCTAssertEqual(error as? CtlFailure, CtlFailure(status: 3,
                message: "cannot reach pinholed at \(path): No such file or directory (is pinholed running?)"))
        }
    }

    /// connect(2) answers ECONNREFUSED for a path that is not a socket; the
    /// message says what the path is instead of blaming a stopped pinholed.
    func testSocketPathThatIsNotASocketSaysWhatItIs() throws {
        let dir = TempDirectory()
        let file = dir.path + "/file"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data()))
        for (path, kind) in [(dir.path, "a directory"), (file, "a regular file")] {
            XCTAssertThrowsError(try ControlClient(path: path).send(ControlRequest(command: .status))) { error in
                XCTAssertEqual(error as? CtlFailure, CtlFailure(status: 3,
                    message: "cannot reach pinholed at \(path): it is \(kind), not a socket (is --socket right?)"))
            }
        }
    }

    func testSilentDaemonTimesOut() throws {
        let dir = TempDirectory()
        let path = dir.path + "/c.sock"
        // Listening but never accepting: connect succeeds, no answer comes.
        let server = try ControlServer(path: path, group: nil)
        defer { server.close() }
        let start = ControlClient.monotonicMs()
        XCTAssertThrowsError(try ControlClient(path: path, timeoutMs: 300).send(ControlRequest(command: .status))) { error in
            XCTAssertEqual((error as? CtlFailure)?.status, 3)
            XCTAssertTrue((error as? CtlFailure)?.message.contains("no answer within") == true, "\(error)")
        }
        XCTAssertLessThan(ControlClient.monotonicMs() - start, 2000)
    }
}

final class PinholectlOutputTests: XCTestCase {
    func testEmptyListSaysSo() {
        XCTAssertEqual(Formatting.table([]), "no open pinholes\n")
    }

    func testTableIsAlignedWithBracketedIPv6Endpoints() {
        let lines = Formatting.table([samplePinhole(1), samplePinhole(2, family: .ipv6)]).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("SERVICE     MODE     FAMILY  INITIATOR      RESPONDER       PORT   EXPIRES  SESSION"), lines[0])
        let columnOf = { (line: String, text: String) in line.range(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) } }
        XCTAssertEqual(columnOf(lines[0], "PORT"), columnOf(lines[1], "50001"))
        XCTAssertEqual(columnOf(lines[0], "PORT"), columnOf(lines[2], "50002"))
        XCTAssertTrue(lines[1].hasSuffix("29.5s    198.51.100.7:40000 -> 203.0.113.10:21"), lines[1])
        XCTAssertTrue(lines[2].hasSuffix("[2001:db8:1::7]:40000 -> [2001:db8:2::10]:21"), lines[2])
    }

    func testJSONListIsOneArrayThatDecodesBack() throws {
        let pinholes = [samplePinhole(1), samplePinhole(2, family: .ipv6)]
        let text = Formatting.jsonList(pinholes)
        XCTAssertTrue(text.hasPrefix("["))
        XCTAssertEqual(try JSONDecoder().decode([PinholeInfo].self, from: Data(text.utf8)), pinholes)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        XCTAssertEqual(object?.first?["expires_in"] as? Double, 29.5)
        XCTAssertEqual((object?.first?["session"] as? [String: Any])?["server_port"] as? Int, 21)
        XCTAssertEqual(Formatting.jsonList([]), "[]\n")
    }

    /// An expired-but-not-yet-removed pinhole: 0 seconds left in JSON as in the table, never negative.
    func testJSONListClampsExpiresInAtZero() throws {
        var late = samplePinhole(1)
        late.expires_in = -0.25
        let object = try JSONSerialization.jsonObject(with: Data(Formatting.jsonList([late, samplePinhole(2)]).utf8)) as? [[String: Any]]
        XCTAssertEqual(object?.map { $0["expires_in"] as? Double }, [0, 29.5])
        XCTAssertTrue(Formatting.table([late]).contains(" 0.0s "), Formatting.table([late]))
    }

    /// Where the daemon computes expires_in: an expiry in the past is 0 ms, not a wrapped UInt64.
    func testDaemonSideExpiresInSaturatesAtZero() {
        let now = Instant(nanoseconds: 5_000_000_000)
        XCTAssertEqual(now.milliseconds(until: Instant(nanoseconds: 4_000_000_000)), 0)
        XCTAssertEqual(now.milliseconds(until: now.adding(milliseconds: 1500)), 1500)
    }

    func testStatusListsCountersAndRefusedReasons() {
        let status = StatusInfo(version: "0.1.0", uptime_seconds: 3723, policy_file: "/etc/nft-pinhole/policy.yaml",
                                policy_sha256: "ab", sessions: 2, pinholes_open: 1, pinholes_opened: 9, pinholes_used: 7,
                                pinholes_expired: 1, pinholes_closed_with_session: 0, pinholes_flushed: 0,
                                refused: ["malformed": 2, "address_mismatch": 1, "nul_byte": 0],
                                resyncs: 0, syns_held: 0, syns_accepted: 0, syns_dropped: 0)
        let text = Formatting.status(status)
        XCTAssertTrue(text.contains("uptime                        1h 2m 3s (3723 s)\n"), text)
        XCTAssertTrue(text.contains("pinholes_opened               9\n"), text)
        XCTAssertTrue(text.contains("refused                       3\n"), text)
        XCTAssertTrue(text.contains("refused.address_mismatch      1\nrefused.malformed             2\n"), text)
        XCTAssertFalse(text.contains("nul_byte"), "zero counters are left out")
    }

    /// A status with every counter at 0 and no optional field: what a test adds shows alone.
    private func idleStatus(sessions: Int) -> StatusInfo {
        StatusInfo(version: "0.1.0", uptime_seconds: 1, policy_file: "p.yaml", policy_sha256: "ab",
                   sessions: sessions, pinholes_open: 0, pinholes_opened: 0, pinholes_used: 0,
                   pinholes_expired: 0, pinholes_closed_with_session: 0, pinholes_flushed: 0,
                   refused: [:], resyncs: 0, syns_held: 0, syns_accepted: 0, syns_dropped: 0)
    }

    /// Copy polling's looks show only when it is on (the daemon sends nil when off).
    func testStatusShowsCopyLooksOnlyWithCopyPolling() throws {
        var status = idleStatus(sessions: 0)
        XCTAssertFalse(Formatting.status(status).contains("copy_looks"))
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(status), as: UTF8.self).contains("copy_looks"))
        status.copy_looks = 120
        status.copy_looks_found = 45
        let text = Formatting.status(status)
        XCTAssertTrue(text.contains("copy_looks                    120\ncopy_looks_found              45\n"), text)
        let decoded = try JSONDecoder().decode(StatusInfo.self, from: try JSONEncoder().encode(status))
        XCTAssertEqual(decoded.copy_looks, 120)
        XCTAssertEqual(decoded.copy_looks_found, 45)
    }

    /// Sessions given up for new connections show next to the sessions
    /// count; a daemon too old to count them sends nothing, and shows nothing.
    func testStatusShowsEvictedSessionsNextToSessions() throws {
        var status = idleStatus(sessions: 10_000)
        XCTAssertFalse(Formatting.status(status).contains("sessions_evicted"))
        status.sessions_evicted = 4_096
        let text = Formatting.status(status)
        XCTAssertTrue(text.contains("sessions                      10000\nsessions_evicted              4096\n"), text)
        let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        XCTAssertTrue(json.contains("\"sessions_evicted\":4096"), json)
    }

    func testFlushMessage() {
        XCTAssertEqual(Formatting.flushed(1, service: nil), "closed 1 pinhole\n")
        XCTAssertEqual(Formatting.flushed(3, service: "public-ftp"), "closed 3 pinholes of service public-ftp\n")
    }
}

final class PinholectlCheckTests: XCTestCase {
    func testGoodAndBadPolicyFiles() throws {
        let dir = TempDirectory()
        let good = dir.path + "/good.yaml", bad = dir.path + "/bad.yaml"
        try Data("services:\n  - {name: a, servers: [203.0.113.10]}\n".utf8).write(to: URL(fileURLWithPath: good))
        try Data("nflog_group: x\nservices:\n  - {name: a, servers: [203.0.113.1/24]}\n".utf8).write(to: URL(fileURLWithPath: bad))
        XCTAssertEqual(PolicyCheck.run(path: good), PolicyCheck(status: 0, stdout: "\(good): ok (1 services)\n", stderr: ""))
        let report = PolicyCheck.run(path: bad)
        XCTAssertEqual(report.status, 1)
        XCTAssertEqual(report.stdout, "")
        XCTAssertEqual(report.stderr.split(separator: "\n").map { String($0.prefix(while: { $0 != " " })) },
                       ["\(bad):1:14:", "\(bad):3:25:"])
    }

    func testParseErrorsAreUsageStatusTwo() {
        for arguments in [["bogus"], ["list", "--bad"], ["check"], ["flush", "--service"]] {
            XCTAssertThrowsError(try Pinholectl.parseAsRoot(arguments), "\(arguments)") { error in
                XCTAssertEqual(Pinholectl.exitCode(for: error), .validationFailure, "\(arguments) maps to 2 in main()")
            }
        }
    }

    func testSocketOptionBeforeOrAfterTheSubcommand() throws {
        for arguments in [["--socket", "/tmp/x.sock", "list"], ["list", "--socket", "/tmp/x.sock"]] {
            let command = try XCTUnwrap(try Pinholectl.parseAsRoot(arguments) as? ListCommand, "\(arguments)")
            XCTAssertEqual(command.connection.socket, "/tmp/x.sock", "\(arguments)")
        }
        let defaulted = try XCTUnwrap(try Pinholectl.parseAsRoot(["status", "--json"]) as? StatusCommand)
        XCTAssertEqual(defaulted.connection.socket, "/run/nft-pinhole/control.sock")
        XCTAssertTrue(defaulted.json)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
