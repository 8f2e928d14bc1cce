import PinholeCore
import XCTest

final class InspectorPassiveTests: XCTestCase {
    let reply227 = "227 Entering Passive Mode (203,0,113,10,195,80).\r\n"  // port 50000

    func testPASVOpensExactlyTheNegotiatedPinhole() {
        var (i, c) = FTPConversation.started()
        _ = c.server(&i, "220 ready\r\n")
        _ = c.client(&i, "USER anonymous\r\n")
        _ = c.server(&i, "331 ok\r\n")
        _ = c.client(&i, "PASV\r\n")
        let ev = c.server(&i, reply227)
        XCTAssertEqual(ev.opened.count, 1, "one pinhole for one 227, got \(ev)")
        let p = ev.opened[0]
        XCTAssertEqual(p.key, PinholeKey(initiator: c.key.client, responder: c.key.server, port: 50_000))
        XCTAssertEqual(p.mode, .passive)
        XCTAssertEqual(p.session, c.key)
        XCTAssertEqual(p.service, "lab")
        XCTAssertEqual(p.expires, c.now.adding(milliseconds: 30_000))
        XCTAssertEqual(i.pinholes.count, 1)
        XCTAssertEqual(i.counters.pinholesOpened, 1)
    }

    func testLowerCasePyftpdlibReplyAndCaseInsensitiveCommand() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "pasv\r\n")
        let ev = c.server(&i, "227 Entering passive mode (203,0,113,10,195,81).\r\n")
        XCTAssertEqual(ev.opened.map(\.key.port), [50_001])
    }

    func testEPSVOverIPv6UsesTheControlConnectionsServer() {
        var i = Inspector(policy: TestPolicy.make())
        var c = FTPConversation(client: "2001:db8:1::2", server: "2001:db8:2::10")
        _ = c.handshake(&i)
        _ = c.client(&i, "EPSV\r\n")
        let ev = c.server(&i, "229 Entering Extended Passive Mode (|||50042|)\r\n")
        XCTAssertEqual(ev.opened.map(\.key), [PinholeKey(initiator: IPAddress("2001:db8:1::2")!,
                                                         responder: IPAddress("2001:db8:2::10")!, port: 50_042)])
        XCTAssertEqual(ev.opened.first?.key.elementKey.count, 36)
    }

    func testReplySplitAtEveryOffsetOpensTheSamePinhole() {
        let full = Array(reply227.utf8)
        for cut in 1..<full.count {
            for second in [cut + 1, cut + 3] where second < full.count {
                var (i, c) = FTPConversation.started()
                _ = c.client(&i, "PA", cuts: [])
                _ = c.client(&i, "SV\r\n")
                let ev = c.server(&i, reply227, cuts: [cut, second])
                XCTAssertEqual(ev.opened.map(\.key.port), [50_000], "split at \(cut),\(second)")
            }
        }
    }

    func testRetransmittedAndOutOfOrderSegmentsGiveOnePinhole() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "PASV\r\n")
        let bytes = Array(reply227.utf8)
        let base = c.serverSeq
        let a = c.segment(fromClient: false, seq: base, Array(bytes[0..<10]))
        let b = c.segment(fromClient: false, seq: base &+ 10, Array(bytes[10..<30]))
        let d = c.segment(fromClient: false, seq: base &+ 30, Array(bytes[30...]))
        var events: [InspectorEvent] = []
        for s in [d, b, b, a, a, d] { events += i.handle(segment: s, now: c.now) }
        XCTAssertEqual(events.opened.map(\.key.port), [50_000])
        XCTAssertEqual(i.counters.pinholesOpened, 1)
    }

    func testPinholeClosesWhenUsedExpiredOrSessionEnds() {
        var (i, c) = FTPConversation.started(TestPolicy.make(timeoutMs: 2_000))
        _ = c.client(&i, "PASV\r\n")
        let p = c.server(&i, reply227).opened[0]
        // Used: conntrack reports the data connection NEW.
        let used = i.handle(conntrack: ConntrackEvent(kind: .new, source: p.key.initiator, destination: p.key.responder,
                                                      sourcePort: 45_000, destinationPort: p.key.port,
                                                      tcpState: .synSent), now: c.now)
        XCTAssertEqual(used.closeReasons, [.used])
        XCTAssertTrue(i.pinholes.isEmpty)
        // Expired.
        _ = c.client(&i, "PASV\r\n")
        _ = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,82).\r\n")
        XCTAssertEqual(i.expire(now: c.now.adding(milliseconds: 1_999)).count, 0)
        XCTAssertEqual(i.expire(now: c.now.adding(milliseconds: 2_000)).closeReasons, [.expired])
        // Session end via FIN closes pending ones at once.
        _ = c.client(&i, "PASV\r\n")
        _ = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,83).\r\n")
        _ = c.client(&i, "QUIT\r\n")
        _ = c.server(&i, "221 bye\r\n")
        let closed = c.fin(&i, fromClient: false)
        XCTAssertEqual(closed.closeReasons, [.sessionClosed])
        XCTAssertEqual(i.sessionCount, 0)
        XCTAssertEqual(i.counters.pinholesUsed, 1)
        XCTAssertEqual(i.counters.pinholesExpired, 1)
        XCTAssertEqual(i.counters.pinholesClosedWithSession, 1)
    }

    func testConntrackLeavingEstablishedClosesTheSession() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "PASV\r\n")
        _ = c.server(&i, reply227)
        let k = c.key
        _ = i.handle(conntrack: ConntrackEvent(kind: .new, source: k.client, destination: k.server,
                                               sourcePort: k.clientPort, destinationPort: k.serverPort,
                                               tcpState: .synSent), now: c.now)
        let ev = i.handle(conntrack: ConntrackEvent(kind: .update, source: k.client, destination: k.server,
                                                    sourcePort: k.clientPort, destinationPort: k.serverPort,
                                                    tcpState: .finWait), now: c.now)
        XCTAssertEqual(ev.closeReasons, [.sessionClosed])
        XCTAssertTrue(i.pinholes.isEmpty)
    }

    func testRSTClosesTheSession() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "PASV\r\n")
        _ = c.server(&i, reply227)
        let ev = i.handle(segment: c.segment(fromClient: true, seq: c.clientSeq, flags: [.rst], []), now: c.now)
        XCTAssertEqual(ev.closeReasons, [.sessionClosed])
    }

    func testPipelinedCommandsMatchRepliesInOrder() {
        var (i, c) = FTPConversation.started()
        _ = c.server(&i, "220 hi\r\n")  // greeting: no command pending, harmless
        _ = c.client(&i, "TYPE I\r\nPASV\r\n")
        let ev = c.server(&i, "200 Switching to Binary mode.\r\n" + reply227)
        XCTAssertEqual(ev.opened.map(\.key.port), [50_000])
        XCTAssertTrue(ev.refusals.isEmpty)
    }

    func testUnrelatedTrafficIsIgnored() {
        var i = Inspector(policy: TestPolicy.make())
        var c = FTPConversation(server: "203.0.113.99")
        _ = c.handshake(&i)
        _ = c.client(&i, "PASV\r\n")
        XCTAssertTrue(c.server(&i, "227 Entering Passive Mode (203,0,113,99,195,80).\r\n").isEmpty)
        XCTAssertEqual(i.sessionCount, 0)
    }
}

final class InspectorCloseTests: XCTestCase {
    func testTrailingSegmentsAfterCloseDoNotReopenTheSession() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "QUIT\r\n")
        _ = c.server(&i, "221 bye\r\n")
        _ = c.fin(&i, fromClient: false)
        XCTAssertEqual(i.sessionCount, 0)
        // The client's last ACK and FIN, and conntrack's late FIN_WAIT update.
        _ = i.handle(segment: c.segment(fromClient: true, seq: c.clientSeq, flags: [.ack], []), now: c.now)
        _ = i.handle(segment: c.segment(fromClient: true, seq: c.clientSeq, flags: [.fin, .ack], []), now: c.now)
        let k = c.key
        _ = i.handle(conntrack: ConntrackEvent(kind: .update, source: k.client, destination: k.server,
                                               sourcePort: k.clientPort, destinationPort: k.serverPort,
                                               tcpState: .finWait), now: c.now)
        XCTAssertEqual(i.sessionCount, 0, "a closed session stays closed")
        // The same tuple reused by a new connection is a new session.
        var again = FTPConversation()
        _ = again.handshake(&i)
        XCTAssertEqual(i.sessionCount, 1)
    }
}

/// Clients that reuse a source port quickly (active-mode tests restrict the
/// port range; busy NATs do it too): the old connection's late conntrack
/// events and a new SYN/ACK must each be attributed to the right connection.
final class InspectorPortReuseTests: XCTestCase {
    func conntrack(_ c: FTPConversation, _ kind: ConntrackEvent.Kind, _ state: TCPConntrackState?) -> ConntrackEvent {
        ConntrackEvent(kind: kind, source: c.key.client, destination: c.key.server, sourcePort: c.key.clientPort,
                       destinationPort: c.key.serverPort, tcpState: state)
    }

    func testLateEventsOfThePreviousConnectionDoNotCloseTheNewOne() {
        var i = Inspector(policy: TestPolicy.make())
        var new = FTPConversation()
        new.serverSeq = 7_000
        _ = new.handshake(&i)  // the new connection's SYN/ACK was copied first
        // The previous connection on the same ports ends only now in conntrack's stream.
        XCTAssertTrue(i.handle(conntrack: conntrack(new, .update, .timeWait), now: new.now).isEmpty)
        XCTAssertTrue(i.handle(conntrack: conntrack(new, .destroy, .timeWait), now: new.now).isEmpty)
        XCTAssertEqual(i.sessionCount, 1)
        // The new connection's own NEW, then its close, apply.
        XCTAssertTrue(i.handle(conntrack: conntrack(new, .new, .synSent), now: new.now).isEmpty)
        _ = new.client(&i, "PASV\r\n")
        XCTAssertEqual(new.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        let closed = i.handle(conntrack: conntrack(new, .update, .finWait), now: new.now)
        XCTAssertEqual(closed.closeReasons, [.sessionClosed])
    }

    func testANewSYNACKOnTheSamePortsReplacesAStaleSession() {
        var i = Inspector(policy: TestPolicy.make())
        var old = FTPConversation()
        _ = old.handshake(&i)
        _ = old.client(&i, "PASV\r\n")
        XCTAssertEqual(old.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        // Its FIN was never seen; a new connection reuses the ports.
        var new = FTPConversation()
        new.serverSeq = 99
        let ev = new.handshake(&i)
        XCTAssertEqual(ev.closeReasons, [.sessionClosed])
        XCTAssertTrue(ev.contains(.sessionClosed(session: new.key, service: "lab", reason: .reused)))
        _ = new.client(&i, "PASV\r\n")
        XCTAssertEqual(new.server(&i, "227 Entering Passive Mode (203,0,113,10,195,81).\r\n").opened.map(\.key.port), [50_001],
                       "the new session parses from its own stream start")
    }

    func testARetransmittedSYNACKKeepsTheSession() {
        var (i, c) = FTPConversation.started()
        let again = i.handle(segment: c.segment(fromClient: false, seq: c.serverSeq &- 1, flags: [.syn, .ack], []), now: c.now)
        XCTAssertTrue(again.isEmpty, "same ISN: a retransmission, not a new connection")
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
    }

    func testASecondConntrackNEWOnTheSamePortsReplacesTheSession() {
        var i = Inspector(policy: TestPolicy.make())
        let c = FTPConversation()
        _ = i.handle(conntrack: conntrack(c, .new, .synSent), now: c.now)
        let ev = i.handle(conntrack: conntrack(c, .new, .synSent), now: c.now)
        XCTAssertTrue(ev.contains(.sessionClosed(session: c.key, service: "lab", reason: .reused)))
        XCTAssertEqual(i.sessionCount, 1)
    }
}
