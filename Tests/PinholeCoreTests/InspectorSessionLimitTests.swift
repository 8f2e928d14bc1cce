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
