import PinholeCore
import XCTest

/// Each hostile input opens nothing, is counted by reason, and leaves the
/// session's other pinholes alone.
final class InspectorHardeningTests: XCTestCase {
    /// A session that already holds one good pinhole (port 50000).
    func sessionWithOnePinhole(_ policy: Policy = TestPolicy.make()) -> (Inspector, FTPConversation) {
        var (i, c) = FTPConversation.started(policy)
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        return (i, c)
    }

    func assertRefused(_ client: String?, _ server: String?, _ reason: Refusal, policy: Policy = TestPolicy.make(),
                       file: StaticString = #filePath, line: UInt = #line) {
        var (i, c) = sessionWithOnePinhole(policy)
        var ev: [InspectorEvent] = []
        if let client { ev += c.client(&i, client) }
        if let server { ev += c.server(&i, server) }
        XCTAssertEqual(ev.opened.count, 0, "opened a pinhole for client=\(client ?? "-") server=\(server ?? "-")",
                       file: file, line: line)
        XCTAssertTrue(ev.refusals.contains(reason), "expected \(reason), got \(ev.refusals)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(i.counters.refused[reason, default: 0], 1, file: file, line: line)
        XCTAssertEqual(i.pinholes.count, 1, "the earlier pinhole must stay open", file: file, line: line)
    }

    func testAddressOtherThanTheServer() {
        assertRefused("PASV\r\n", "227 Entering Passive Mode (203,0,113,11,195,90).\r\n", .addressMismatch)
        assertRefused("PASV\r\n", "227 Entering Passive Mode (198,51,100,2,195,90).\r\n", .addressMismatch)
    }

    func testPortRules() {
        assertRefused("PASV\r\n", "227 Entering Passive Mode (203,0,113,10,0,80).\r\n", .privilegedPort)
        assertRefused("PASV\r\n", "227 Entering Passive Mode (203,0,113,10,0,21).\r\n", .privilegedPort)
        assertRefused("PASV\r\n", "227 Entering Passive Mode (203,0,113,10,200,0).\r\n", .portOutOfRange)
        assertRefused("EPSV\r\n", "229 Entering Extended Passive Mode (|||22|)\r\n", .privilegedPort)
        assertRefused("EPSV\r\n", "229 Entering Extended Passive Mode (|||60000|)\r\n", .portOutOfRange)
    }

    func testRepliesWithoutTheirRequest() {
        assertRefused(nil, "227 Entering Passive Mode (203,0,113,10,195,90).\r\n", .unsolicitedReply)
        assertRefused("EPSV\r\n", "227 Entering Passive Mode (203,0,113,10,195,90).\r\n", .unsolicitedReply)
        assertRefused("PASV\r\n", "229 Entering Extended Passive Mode (|||50090|)\r\n", .unsolicitedReply)
    }

    func testASecondReplyForOneRequestIsRefused() {
        var (i, c) = sessionWithOnePinhole()
        _ = c.client(&i, "PASV\r\n")
        let ev = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,90).\r\n"
            + "227 Entering Passive Mode (203,0,113,10,195,91).\r\n")
        XCTAssertEqual(ev.opened.map(\.key.port), [50_010], "only the reply to the one PASV opens")
        XCTAssertEqual(ev.refusals, [.unsolicitedReply])
    }

    func testMalformedNumbers() {
        for bad in ["(203,0,113,10,195,256)", "(203,0,113,10,195)", "(203,0,113,10,195,80,1)", "(203,0,113,10,195,80x)",
                    "(203,0,113,10,-1,80)", "(203,0,113,10,99999999999999999999,80)", "(203,0,113,300,195,80)"] {
            var (i, c) = sessionWithOnePinhole()
            _ = c.client(&i, "PASV\r\n")
            let ev = c.server(&i, "227 Entering Passive Mode \(bad).\r\n")
            XCTAssertEqual(ev.opened.count, 0, bad)
            XCTAssertFalse(ev.refusals.isEmpty, "\(bad) must be refused and counted")
            XCTAssertEqual(i.pinholes.count, 1)
        }
    }

    func testReplyTextThatIsNotAtALineStart() {
        // Inside a multi-line reply.
        assertRefusedNothingOpened("PASV\r\n", "227-Entering Passive Mode (203,0,113,10,195,90)\r\n227 done\r\n")
        assertRefusedNothingOpened("STAT\r\n", "211-status\r\n227 Entering Passive Mode (203,0,113,10,195,90).\r\n211 End\r\n")
        // Echoed in an error message.
        assertRefusedNothingOpened("PASV\r\n", "500 '227 Entering Passive Mode (203,0,113,10,195,90)': unknown\r\n")
        // In the middle of a line.
        assertRefusedNothingOpened("PASV\r\n", "200 ok 227 Entering Passive Mode (203,0,113,10,195,90).\r\n")
    }

    /// The echo attack: a retransmission crafted so that a segment starts with
    /// "227" although in the stream that text is in the middle of a line.
    func testSegmentAlignedFakeReplyIsNotALineStart() {
        var (i, c) = sessionWithOnePinhole()
        _ = c.client(&i, "PASV\r\n")
        let line = "500 Unknown command 227 Entering Passive Mode (203,0,113,10,195,90).\r\n"
        let offset = Array(line.utf8).count - Array("227 Entering Passive Mode (203,0,113,10,195,90).\r\n".utf8).count
        let ev = c.server(&i, line, cuts: [offset])
        XCTAssertEqual(ev.opened.count, 0)
        XCTAssertEqual(i.pinholes.count, 1)
    }

    func assertRefusedNothingOpened(_ client: String, _ server: String, file: StaticString = #filePath, line: UInt = #line) {
        var (i, c) = sessionWithOnePinhole()
        var ev = c.client(&i, client)
        ev += c.server(&i, server)
        XCTAssertEqual(ev.opened.count, 0, "opened a pinhole from \(server.debugDescription)", file: file, line: line)
        XCTAssertEqual(i.pinholes.count, 1, file: file, line: line)
    }

    func testDirection() {
        // 227 from the client; PORT from the server.
        assertRefused("227 Entering Passive Mode (203,0,113,10,195,90).\r\n", nil, .wrongDirection)
        assertRefused(nil, "PORT 198,51,100,2,195,90\r\n", .wrongDirection, policy: TestPolicy.make(active: true))
    }

    func testOverlongLinesNULAndNoNewline() {
        assertRefused(String(repeating: "A", count: 600) + "\r\n", nil, .overlongLine)
        assertRefused("PASV\r\n", "227 Entering Passive Mode (203,0,113,10,195,90)\u{0}.\r\n", .nulByte)
        // A stream that never sends a newline: refused once, memory bounded.
        var (i, c) = sessionWithOnePinhole()
        var refusals: [Refusal] = []
        for _ in 0..<200 { refusals += c.server(&i, String(repeating: "x", count: 1000)).refusals }
        XCTAssertEqual(refusals, [.overlongLine])
        // A suspect session opens nothing more.
        _ = c.server(&i, "\r\n")
        _ = c.client(&i, "PASV\r\n")
        let ev = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,90).\r\n")
        XCTAssertEqual(ev.opened.count, 0)
    }

    /// The smuggling a bare LF allows: the server reads `RETR x<LF>227 ...` as
    /// one command and echoes it in one reply line (proftpd: "550 x<LF>227
    /// ... : No such file"), which a framer that ends lines at LF reads as two
    /// replies, the second answering the client's pipelined PASV with a port
    /// of its choosing. A client line ending in a bare LF makes the session
    /// suspect, so nothing more opens.
    func testAClientLineEndingInABareLFMakesTheSessionSuspect() {
        var (i, c) = sessionWithOnePinhole()
        let smuggle = c.client(&i, "RETR x\n227 Entering Passive Mode (203,0,113,10,195,99)\r\nPASV\r\n")
        XCTAssertEqual(smuggle.refusals.first, .bareLineFeed)
        let echo = c.server(&i, "550 x\n227 Entering Passive Mode (203,0,113,10,195,99): No such file\r\n"
            + "227 Entering Passive Mode (203,0,113,10,195,91).\r\n")
        XCTAssertEqual(echo.opened.count, 0, "opened \(echo.opened.map(\.key))")
        XCTAssertTrue(echo.refusals.contains(.bareLineFeed), "\(echo.refusals)")
        XCTAssertEqual(i.pinholes.count, 1, "what the session held before stays")
        XCTAssertEqual(i.counters.refused[.bareLineFeed], 2)
        // Servers are read as the kernel helper reads them: a bare LF ends a reply line.
        var (j, d) = FTPConversation.started()
        _ = d.client(&j, "PASV\r\n")
        XCTAssertEqual(d.server(&j, "227 Entering Passive Mode (203,0,113,10,195,90).\n").opened.count, 1)
    }

    func testClientNotAllowedAndPassiveOff() {
        var outsider = Inspector(policy: TestPolicy.make(clients: ["198.51.100.128/25"]))
        var o = FTPConversation()
        _ = o.handshake(&outsider)
        _ = o.client(&outsider, "PASV\r\n")
        let refused = o.server(&outsider, "227 Entering Passive Mode (203,0,113,10,195,90).\r\n")
        XCTAssertEqual(refused.opened.count, 0)
        XCTAssertEqual(refused.refusals, [.clientNotAllowed])
        var (i, c) = FTPConversation.started(TestPolicy.make(passive: false, active: true))
        _ = c.client(&i, "PASV\r\n")
        let ev = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,90).\r\n")
        XCTAssertEqual(ev.refusals, [.modeDisabled])
    }

    func testPerSessionLimitRefusesTheNewOne() {
        var (i, c) = FTPConversation.started(TestPolicy.make(perSession: 2))
        var opened: [UInt16] = []
        var closed: [PinholeCloseReason] = []
        for p2 in 80..<84 {
            _ = c.client(&i, "PASV\r\n")
            let ev = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,\(p2)).\r\n")
            opened += ev.opened.map(\.key.port)
            closed += ev.closeReasons
        }
        XCTAssertEqual(opened, [50_000, 50_001])
        XCTAssertEqual(closed, [], "what the session holds stays")
        XCTAssertEqual(Set(i.pinholes.keys.map(\.port)), [50_000, 50_001])
        XCTAssertEqual(i.counters.refused[.sessionLimit], 2)
        // A used pinhole frees its place.
        _ = i.markUsed(PinholeKey(initiator: c.key.client, responder: c.key.server, port: 50_000))
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,84).\r\n").opened.map(\.key.port), [50_004])
    }

    func testGlobalLimits() {
        var i = Inspector(policy: TestPolicy.make(sessions: 2, pinholes: 1))
        // Sessions that have exchanged bytes (a quiet one would be given up
        // for the next connection: InspectorSessionLimitTests).
        var conversations: [FTPConversation] = []
        for port in UInt16(40_000)..<40_003 {
            var c = FTPConversation(clientPort: port)
            _ = c.handshake(&i)
            _ = c.server(&i, "220 ready\r\n")
            conversations.append(c)
        }
        XCTAssertEqual(i.sessionCount, 2)
        // One connection over the limit, one refusal, however many of its
        // segments are copied (the handshake's SYN/ACK and ACK, the banner, more).
        XCTAssertEqual(i.counters.refused[.globalLimit, default: 0], 1)
        _ = conversations[2].client(&i, "USER anonymous\r\n")
        _ = conversations[2].server(&i, "331 Please specify the password.\r\n")
        XCTAssertEqual(i.counters.refused[.globalLimit, default: 0], 1)
        var fourth = FTPConversation(clientPort: 40_003)
        _ = fourth.handshake(&i)
        XCTAssertEqual(i.counters.refused[.globalLimit, default: 0], 2, "another connection is another refusal")
        XCTAssertEqual(i.counters.sessionsEvicted, 0, "no quiet session to give up")
        let afterSessions = i.counters.refused[.globalLimit, default: 0]
        _ = conversations[0].client(&i, "PASV\r\n")
        XCTAssertEqual(conversations[0].server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        _ = conversations[1].client(&i, "PASV\r\n")
        let ev = conversations[1].server(&i, "227 Entering Passive Mode (203,0,113,10,195,81).\r\n")
        XCTAssertEqual(ev.opened.count, 0)
        XCTAssertEqual(ev.refusals, [.globalLimit])
        XCTAssertEqual(i.counters.refused[.globalLimit], afterSessions + 1)
    }

    func testMidSessionPickupDoesNotTrustTheFirstBytes() {
        var i = Inspector(policy: TestPolicy.make())
        var c = FTPConversation()
        // No handshake: the daemon joins mid-session, mid-line.
        _ = c.client(&i, "PASV\r\n")
        let ev = c.server(&i, "Mode (203,0,113,10,195,80).\r\n227 Entering Passive Mode (203,0,113,10,195,81).\r\n")
        XCTAssertEqual(ev.opened.count, 0, "nothing before a trusted line start, and no PASV was seen in sync")
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,82).\r\n").opened.map(\.key.port), [50_002])
    }

    func testRandomSegmentsNeverOpenAPinholeThatBreaksTheRules() {
        var rng = CoreFixtures.SeededRNG(seed: 0x5eed)
        let fragments = ["PASV\r\n", "EPSV\r\n", "PORT 198,51,100,2,195,80\r\n", "227 Entering Passive Mode (",
                         "203,0,113,10,", "198,51,100,9,", "195,80).\r\n", "229 (|||", "50001|)\r\n", "\r\n", "227-",
                         "\u{0}", "(|||80|)\r\n", "EPRT |1|198.51.100.2|50003|\r\n", "EPRT |2|2001:db8::1|50004|\r\n"]
        for _ in 0..<3_000 {
            var (i, c) = FTPConversation.started(TestPolicy.make(active: true))
            for _ in 0..<8 {
                let text = fragments[Int(rng.next() % UInt64(fragments.count))]
                let ev = rng.next() % 2 == 0 ? c.client(&i, text) : c.server(&i, text)
                for p in ev.opened {
                    XCTAssertTrue((50_000...50_100).contains(p.key.port))
                    if p.mode == .passive {
                        XCTAssertEqual(p.key, PinholeKey(initiator: c.key.client, responder: c.key.server, port: p.key.port))
                    } else {
                        XCTAssertEqual(p.key, PinholeKey(initiator: c.key.server, responder: c.key.client, port: p.key.port))
                    }
                }
            }
            XCTAssertLessThanOrEqual(i.pinholes.count, 4)
        }
    }
}


final class InspectorBadPacketTests: XCTestCase {
    func testUndecodableCopiesAreCountedAsBadPackets() {
        var i = Inspector(policy: TestPolicy.make())
        for garbage in [[UInt8](), [0x45], [0x60, 0, 0]] {
            if case .malformed = PacketDecoder.decode(garbage) { i.countBadPacket() }
        }
        XCTAssertEqual(i.counters.refusedByName["bad_packet"], 3)
    }
}
