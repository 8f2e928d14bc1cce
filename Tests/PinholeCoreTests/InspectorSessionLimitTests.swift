@testable import PinholeCore
import XCTest

/// `limits.sessions` against a SYN flood: sessions whose connection has
/// exchanged no byte are given up, oldest first, for new connections; the
/// ones that have spoken, and their pinholes, are never.
final class InspectorSessionLimitTests: XCTestCase {
    private func conntrack(_ c: FTPConversation, _ kind: ConntrackEvent.Kind,
                           _ state: TCPConntrackState?) -> ConntrackEvent {
        ConntrackEvent(kind: kind, source: c.key.client, destination: c.key.server, sourcePort: c.key.clientPort,
                       destinationPort: c.key.serverPort, tcpState: state)
    }

    private func closedSessions(_ events: [InspectorEvent]) -> [(ConnectionKey, SessionCloseReason)] {
        events.compactMap {
            if case .sessionClosed(let k, _, let r) = $0 { return (k, r) }
            return nil
        }
    }

    /// A half-open connection of a spoofed SYN: conntrack's NEW, the server's
    /// SYN/ACK copied, and nothing after it.
    private func halfOpen(_ i: inout Inspector, from client: String, port: UInt16) -> [InspectorEvent] {
        let c = FTPConversation(client: client, clientPort: port)
        var ev = i.handle(conntrack: conntrack(c, .new, .synSent), now: c.now)
        ev += i.handle(segment: c.segment(fromClient: false, seq: c.serverSeq, flags: [.syn, .ack], []), now: c.now)
        return ev
    }

    /// The attack this is for (it failed before: the flood took every place
    /// and the real client got `global_limit`, no pinhole).
    func testAFloodOfHalfOpenConnectionsCannotLockARealClientOut() {
        var i = Inspector(policy: TestPolicy.make(sessions: 3))
        var first = FTPConversation(clientPort: 40_000)
        _ = first.handshake(&i)
        _ = first.server(&i, "220 ready\r\n")
        _ = first.client(&i, "PASV\r\n")
        XCTAssertEqual(first.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)

        var evicted = 0
        for n in 0..<500 {
            let ev = halfOpen(&i, from: "198.51.100.\(100 + n % 100)", port: UInt16(20_000 + n))
            XCTAssertEqual(ev.refusals, [], "flood connection \(n)")
            evicted += closedSessions(ev).filter { $0.1 == .evicted }.count
            XCTAssertLessThanOrEqual(i.sessionCount, 3)
        }
        XCTAssertEqual(evicted, 498, "two places were free; every other flood connection took a quiet one's")
        XCTAssertEqual(i.counters.sessionsEvicted, 498)
        XCTAssertEqual(i.pinholes.count, 1, "the first client's pinhole stays")

        var second = FTPConversation(clientPort: 40_001)
        let opened = second.handshake(&i)
        XCTAssertEqual(opened.refusals, [])
        _ = second.server(&i, "220 ready\r\n")
        _ = second.client(&i, "PASV\r\n")
        let ev = second.server(&i, "227 Entering Passive Mode (203,0,113,10,195,81).\r\n")
        XCTAssertEqual(ev.opened.map(\.key.port), [50_001], "a real client still gets its pinhole")
        XCTAssertEqual(i.counters.refused[.globalLimit, default: 0], 0)
    }

    /// A flood that sends each SYN twice: once the SYN/ACK has passed, the
    /// second SYN is `ct state established` and copied. It failed before:
    /// those SYNs opened sessions that were not quiet, and 16 of them locked
    /// every new client out (refused.global_limit) until conntrack forgot them.
    func testSynsSentAgainTakeNoPlaceThatCannotBeGivenUp() throws {
        var i = Inspector(policy: TestPolicy.make(sessions: 3))
        var first = FTPConversation(clientPort: 40_000)
        _ = first.handshake(&i)
        _ = first.server(&i, "220 ready\r\n")
        for round in 0..<2 {
            for n in 0..<200 {
                let c = FTPConversation(client: "198.51.100.\(100 + n % 100)", clientPort: UInt16(20_000 + n))
                if round == 0 {
                    _ = halfOpen(&i, from: "198.51.100.\(100 + n % 100)", port: UInt16(20_000 + n))
                } else {
                    let again = c.segment(fromClient: true, seq: c.clientSeq, flags: [.syn], [])
                    XCTAssertEqual(i.handle(segment: again, now: c.now).refusals, [], "SYN sent again \(n)")
                }
            }
        }
        for (key, s) in i.sessions where key != first.key {
            XCTAssertTrue(s.isEvictable, "\(key) holds a place nothing gives up")
        }
        var second = FTPConversation(clientPort: 40_001)
        XCTAssertEqual(second.handshake(&i).refusals, [])
        _ = second.server(&i, "220 ready\r\n")
        _ = second.client(&i, "PASV\r\n")
        XCTAssertEqual(second.server(&i, "227 Entering Passive Mode (203,0,113,10,195,81).\r\n").opened.count, 1)
        XCTAssertEqual(i.counters.refused[.globalLimit, default: 0], 0)
    }

    /// A SYN copied for a connection pinholed never saw (its eviction long
    /// forgotten, say) opens a quiet session, not one that holds its place.
    func testAClientSynOpensAQuietSession() throws {
        var i = Inspector(policy: TestPolicy.make(sessions: 3))
        let c = FTPConversation(clientPort: 20_000)
        _ = i.handle(segment: c.segment(fromClient: true, seq: c.clientSeq, flags: [.syn], []), now: c.now)
        XCTAssertEqual(try XCTUnwrap(i.sessions[c.key]).isEvictable, true)
    }

    /// Handshake segments of a connection given up at the limit (the
    /// server's SYN/ACK sent again, the client's SYN sent again) open
    /// nothing, so one flood connection is not given up over and over; its
    /// first byte does open it.
    func testOnlyABytePicksUpAnEvictedConnectionAgain() {
        var i = Inspector(policy: TestPolicy.make(sessions: 1))
        var a = FTPConversation(clientPort: 40_000)
        _ = a.handshake(&i)
        let b = halfOpen(&i, from: "198.51.100.9", port: 20_000)
        XCTAssertEqual(closedSessions(b).map(\.0), [a.key])
        let synAckAgain = a.segment(fromClient: false, seq: a.serverSeq &- 1, flags: [.syn, .ack], [])
        XCTAssertTrue(i.handle(segment: synAckAgain, now: a.now).isEmpty, "a SYN/ACK sent again opened a session")
        let synAgain = a.segment(fromClient: true, seq: a.clientSeq &- 1, flags: [.syn], [])
        XCTAssertTrue(i.handle(segment: synAgain, now: a.now).isEmpty, "a SYN sent again opened a session")
        XCTAssertEqual(i.counters.sessionsEvicted, 1)
        let banner = a.server(&i, "220 ready\r\n")
        XCTAssertEqual(closedSessions(banner).map(\.1), [.evicted], "the banner picks it up, in the flood's place")
        XCTAssertNotNil(i.sessions[a.key])
    }

    /// A reload that lowers `limits.sessions` closes nothing; the next
    /// connection gives up as many quiet sessions as it takes to be under it.
    func testALoweredLimitIsReachedByGivingUpQuietSessions() {
        var i = Inspector(policy: TestPolicy.make(sessions: 10))
        var spoke = FTPConversation(clientPort: 40_000)
        _ = spoke.handshake(&i)
        _ = spoke.server(&i, "220 ready\r\n")
        for n in 0..<9 { _ = halfOpen(&i, from: "198.51.100.\(20 + n)", port: UInt16(20_000 + n)) }
        XCTAssertEqual(i.reload(policy: TestPolicy.make(sessions: 3)).count, 0, "a reload closes no session")
        XCTAssertEqual(i.sessionCount, 10)
        let ev = halfOpen(&i, from: "198.51.100.99", port: 21_000)
        XCTAssertEqual(closedSessions(ev).count, 8)
        XCTAssertEqual(i.sessionCount, 3)
        XCTAssertNotNil(i.sessions[spoke.key], "the session that spoke stays")
    }

    /// Sessions that have spoken hold the limit as before: the new
    /// connection is refused, nothing that was open goes.
    func testSessionsThatHaveSpokenAreNeverGivenUp() {
        var i = Inspector(policy: TestPolicy.make(sessions: 2))
        var talking: [FTPConversation] = []
        for port in UInt16(40_000)..<40_002 {
            var c = FTPConversation(clientPort: port)
            _ = c.handshake(&i)
            _ = c.client(&i, "USER anonymous\r\n")  // either side's byte counts
            talking.append(c)
        }
        let ev = halfOpen(&i, from: "198.51.100.9", port: 20_000)
        XCTAssertEqual(ev.refusals, [.globalLimit])
        XCTAssertTrue(closedSessions(ev).isEmpty)
        XCTAssertEqual(i.sessionCount, 2)
        XCTAssertEqual(i.counters.sessionsEvicted, 0)
    }

    func testTheOldestQuietSessionGoesFirst() {
        var i = Inspector(policy: TestPolicy.make(sessions: 3))
        _ = halfOpen(&i, from: "198.51.100.11", port: 20_001)  // A
        _ = halfOpen(&i, from: "198.51.100.12", port: 20_002)  // B
        var spoke = FTPConversation(client: "198.51.100.13", clientPort: 20_003)
        _ = spoke.handshake(&i)
        _ = spoke.server(&i, "220 ready\r\n")
        var order: [String] = []
        for (n, client) in ["198.51.100.14", "198.51.100.15", "198.51.100.16"].enumerated() {
            let ev = halfOpen(&i, from: client, port: UInt16(20_004 + n))
            order += closedSessions(ev).map { "\($0.0.client) \($0.1.rawValue)" }
        }
        XCTAssertEqual(order, ["198.51.100.11 evicted", "198.51.100.12 evicted", "198.51.100.14 evicted"])
        XCTAssertEqual(i.sessionCount, 3)
    }

    /// A real client evicted in its handshake (a flood faster than a round
    /// trip) is picked up again by its next segment, mid-session: its first
    /// line each way is not trusted, the next PASV works.
    func testAnEvictedClientIsPickedUpAgainByItsNextSegment() {
        var i = Inspector(policy: TestPolicy.make(sessions: 1))
        var c = FTPConversation(clientPort: 40_000)
        _ = c.handshake(&i)
        let ev = halfOpen(&i, from: "198.51.100.9", port: 20_000)
        XCTAssertEqual(closedSessions(ev).map(\.1), [.evicted])
        _ = c.server(&i, "220 ready\r\n")  // gives up the quiet flood session in turn
        _ = c.client(&i, "USER anonymous\r\n")
        _ = c.server(&i, "331 Please specify the password.\r\n")
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        XCTAssertEqual(i.counters.sessionsEvicted, 2)
        XCTAssertEqual(i.counters.refused[.globalLimit, default: 0], 0)
    }

    /// Conntrack decides too: a dump's half-open entry is quiet, an
    /// established one (a client that may just be idle) is not.
    func testADumpsHandshakesAreQuietItsEstablishedConnectionsAreNot() {
        var i = Inspector(policy: TestPolicy.make(sessions: 2))
        let idle = FTPConversation(client: "198.51.100.21", clientPort: 20_001)
        let half = FTPConversation(client: "198.51.100.22", clientPort: 20_002)
        _ = i.resync(dump: [conntrack(idle, .existing, .established), conntrack(half, .existing, .synRecv)],
                     now: idle.now)
        XCTAssertEqual(i.sessionCount, 2)
        let first = halfOpen(&i, from: "198.51.100.23", port: 20_003)
        XCTAssertEqual(closedSessions(first).map(\.0), [half.key])
        let second = halfOpen(&i, from: "198.51.100.24", port: 20_004)
        XCTAssertEqual(closedSessions(second).map(\.0.client), [IPAddress("198.51.100.23")!])
        XCTAssertTrue(i.sessions[idle.key] != nil, "the established connection stays")
    }

    /// NFLOG loss rebuilds every session (restartStreams): a flood's sessions
    /// must stay quiet through it, or a flood that overflows the copies would
    /// make its own sessions permanent.
    func testQuietSurvivesLostCopies() {
        var i = Inspector(policy: TestPolicy.make(sessions: 2))
        _ = halfOpen(&i, from: "198.51.100.11", port: 20_001)
        _ = halfOpen(&i, from: "198.51.100.12", port: 20_002)
        i.restartStreams()
        let ev = halfOpen(&i, from: "198.51.100.13", port: 20_003)
        XCTAssertEqual(closedSessions(ev).map(\.1), [.evicted])
        XCTAssertEqual(ev.refusals, [])
    }

    /// A session that holds a pinhole (adopted at a restart) is not quiet,
    /// whatever its connection's state said.
    func testAnAdoptedPinholeMakesItsSessionStay() {
        var i = Inspector(policy: TestPolicy.make(sessions: 1))
        let c = FTPConversation(clientPort: 40_000)
        _ = i.resync(dump: [conntrack(c, .existing, .synRecv)], now: c.now)
        let element = KernelElement(key: PinholeKey(initiator: c.key.client, responder: c.key.server, port: 50_000),
                                    expiresInMs: 10_000, comment: "pinholed \(c.key) lab")
        XCTAssertEqual(i.adopt(elements: [element], now: c.now).opened.count, 1)
        let ev = halfOpen(&i, from: "198.51.100.9", port: 20_000)
        XCTAssertEqual(ev.refusals, [.globalLimit])
        XCTAssertEqual(i.pinholes.count, 1)
    }

    /// Connections that come and go without an eviction must not grow the
    /// queue of quiet sessions without bound: it holds at most twice the most
    /// sessions open at once, plus 64.
    func testTheQuietQueueStaysBoundedByTheSessions() {
        var i = Inspector(policy: TestPolicy.make(sessions: 10_000))
        for n in 0..<20_000 {  // one open at a time
            var c = FTPConversation(clientPort: UInt16(10_000 + n % 50_000))
            _ = c.handshake(&i)
            _ = c.fin(&i, fromClient: false)
            XCTAssertLessThanOrEqual(i.quietSessions.count, 2 * 1 + 64, "after connection \(n)")
        }
        for round in 0..<10 {  // 500 open at a time
            var open: [FTPConversation] = []
            for n in 0..<500 {
                var c = FTPConversation(client: "198.51.100.\(10 + round)", clientPort: UInt16(10_000 + n))
                _ = c.handshake(&i)
                open.append(c)
            }
            for n in open.indices { _ = open[n].fin(&i, fromClient: false) }
            XCTAssertLessThanOrEqual(i.quietSessions.count, 2 * 500 + 64, "after round \(round)")
        }
        XCTAssertEqual(i.sessionCount, 0)
        XCTAssertEqual(i.counters.sessionsEvicted, 0)
    }
}
