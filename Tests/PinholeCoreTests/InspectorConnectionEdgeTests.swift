@testable import PinholeCore
import XCTest

/// Connection bookkeeping at its edges: lost copies, late or queued conntrack
/// events, reused tuples, shared clients. Each test failed before its fix.
final class InspectorConnectionEdgeTests: XCTestCase {
    func conntrack(_ c: FTPConversation, _ kind: ConntrackEvent.Kind, _ state: TCPConntrackState?) -> ConntrackEvent {
        ConntrackEvent(kind: kind, source: c.key.client, destination: c.key.server, sourcePort: c.key.clientPort,
                       destinationPort: c.key.serverPort, tcpState: state)
    }

    /// restartStreams() (NFLOG loss) rebuilds each Session and drops
    /// `awaitingConntrackNew`: the connection's own late conntrack NEW then
    /// looks like a port reuse, closes the live session and its pinholes, and
    /// reopens it *synchronized*, so the next server segment, even mid-line,
    /// is trusted as a line start.
    func testLateConntrackNEWAfterRestartStreamsDoesNotResetTheSession() {
        var (i, c) = FTPConversation.started()  // SYN/ACK copied before conntrack's NEW was read
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        i.restartStreams()  // NFLOG copies were lost
        // A server line whose first part is copied before the NEW is read.
        let line = Array("500 Unknown command 227 Entering Passive Mode (203,0,113,10,195,90).\r\n".utf8)
        let cut = line.count - Array("227 Entering Passive Mode (203,0,113,10,195,90).\r\n".utf8).count
        _ = i.handle(segment: c.segment(fromClient: false, seq: c.serverSeq, Array(line[..<cut])), now: c.now)
        let ev = i.handle(conntrack: conntrack(c, .new, .synSent), now: c.now)
        XCTAssertEqual(ev.closeReasons, [], "the NEW is this connection's own: nothing closes")
        XCTAssertEqual(i.pinholes.count, 1, "pinholes negotiated before the loss stay (restartStreams' contract)")
        _ = c.client(&i, "PASV\r\n")
        let mid = i.handle(segment: c.segment(fromClient: false, seq: c.serverSeq &+ UInt32(cut), Array(line[cut...])),
                           now: c.now)
        XCTAssertEqual(mid.opened.count, 0, "text in the middle of a server line opened \(mid.opened.map(\.key))")
    }

    /// Same root cause at start-up/resync: a connection picked up from the dump
    /// (mid-session, untrusted) whose NEW event was still queued is reset to a
    /// synchronized session, so its next server segment, mid-line, is trusted.
    func testQueuedConntrackNEWAfterResyncDoesNotTrustAMidLineSegment() {
        var i = Inspector(policy: TestPolicy.make())
        var c = FTPConversation()
        _ = i.resync(dump: [conntrack(c, .existing, .established)], now: c.now)  // mid-session pickup
        _ = i.handle(conntrack: conntrack(c, .new, .synSent), now: c.now)      // NEW queued before the dump
        _ = c.client(&i, "PASV\r\n")
        // The tail of a server line whose start was sent before we listened.
        let ev = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,90).\r\n")
        XCTAssertEqual(ev.opened.count, 0, "first bytes seen mid-session were trusted as a line start")
    }

    /// Same root cause: after restartStreams() the previous connection's late
    /// closing event (same ports) closes the new, live session.
    func testLateCloseOfThePreviousConnectionAfterRestartStreams() {
        var i = Inspector(policy: TestPolicy.make())
        var new = FTPConversation()
        new.serverSeq = 7_000
        _ = new.handshake(&i)
        _ = new.client(&i, "PASV\r\n")
        XCTAssertEqual(new.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        i.restartStreams()
        let ev = i.handle(conntrack: conntrack(new, .update, .timeWait), now: new.now)
        XCTAssertEqual(ev.closeReasons, [], "the previous connection's TIME_WAIT must not close the new session")
        XCTAssertEqual(i.sessionCount, 1)
    }

    /// A NUL byte in a *continuation* line of a multi-line reply is returned as
    /// `.malformed(.nulByte)`, which `isFinal` treats as a final reply: the
    /// inspector dequeues a request for it, and the real closing line dequeues
    /// the next one. Pipelined replies are then paired with the wrong commands.
    func testNulInsideMultiLineReplyDoesNotConsumeTheNextRequest() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "STAT\r\nPASV\r\n")
        let ev = c.server(&i, "211-status\r\n name a\u{0}b\r\n211 End\r\n"
            + "227 Entering Passive Mode (203,0,113,10,195,80).\r\n")
        XCTAssertFalse(ev.refusals.contains(.unsolicitedReply), "the 227 answers the PASV; got \(ev.refusals)")
        XCTAssertEqual(ev.opened.map(\.key.port), [50_000])
    }

    /// A server's rejection of session A's PORT closes the pinhole by key
    /// without checking who owns it now: session B (same client address, e.g.
    /// behind one NAT) took the tuple over, and A's 500 closes B's pinhole.
    func testRejectedPORTDoesNotCloseAnotherSessionsPinhole() {
        var i = Inspector(policy: TestPolicy.make(active: true))
        var a = FTPConversation(clientPort: 40_000)
        var b = FTPConversation(clientPort: 40_001)
        _ = a.handshake(&i)
        _ = b.handshake(&i)
        XCTAssertEqual(a.client(&i, "PORT 198,51,100,2,195,80\r\n").opened.count, 1)
        XCTAssertEqual(b.client(&i, "PORT 198,51,100,2,195,80\r\n").opened.count, 1)  // B now owns the tuple
        XCTAssertEqual(b.server(&i, "200 PORT command successful\r\n").closeReasons, [])
        let ev = a.server(&i, "500 Illegal PORT command\r\n")
        XCTAssertEqual(ev.closeReasons, [], "A's rejected PORT closed B's accepted pinhole")
        XCTAssertEqual(i.pinholes.values.map(\.session), [b.key])
    }

    /// RecentlyClosed.remove() leaves the key in the FIFO order; a later
    /// re-insert adds a second slot, and overwriting the *old* slot forgets the
    /// *new* membership early.
    func testRecentlyClosedForgetsAReinsertedKeyEarly() {
        let x = ConnectionKey(client: IPAddress("198.51.100.2")!, clientPort: 40_000,
                              server: IPAddress("203.0.113.10")!, serverPort: 21)
        let y = ConnectionKey(client: IPAddress("198.51.100.3")!, clientPort: 40_000,
                              server: IPAddress("203.0.113.10")!, serverPort: 21)
        var r = RecentlyClosed(capacity: 2)
        r.insert(x)
        r.remove(x)    // the tuple was reused by a new connection...
        r.insert(x)    // ...which closed too
        r.insert(y)    // one more close: x is still among the last two closed
        XCTAssertTrue(r.contains(y))
        XCTAssertTrue(r.contains(x), "x closed more recently than capacity allows forgetting")
    }

    /// conntrack NEW on reused ports calls recentlyClosed.remove() *before*
    /// closeSession(.reused), which inserts the tuple again. The new, live
    /// session's tuple stays "recently closed": the next resync (every SIGHUP
    /// reload does one) closes it, and its later segments are ignored.
    func testSessionThatReplacedAStaleOneSurvivesAResync() {
        var i = Inspector(policy: TestPolicy.make())
        var c = FTPConversation()
        _ = i.handle(conntrack: conntrack(c, .new, .synSent), now: c.now)   // old connection, FIN never seen
        _ = i.handle(conntrack: conntrack(c, .new, .synSent), now: c.now)   // new connection, same ports
        c.serverSeq = 5_000
        _ = c.handshake(&i)
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        let ev = i.resync(dump: [conntrack(c, .existing, .established)], now: c.now)  // e.g. SIGHUP reload
        XCTAssertEqual(ev.closeReasons, [], "a live session was closed by resync")
        XCTAssertEqual(i.sessionCount, 1)
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,81).\r\n").opened.count, 1)
    }
    /// A 1xx preliminary reply with a NUL is refused but, like any 1xx, does
    /// not answer its command: the 226 does, and the 227 answers the PASV.
    func testNulInAPreliminaryReplyDoesNotConsumeItsCommand() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "RETR a\r\nPASV\r\n")
        let ev = c.server(&i, "150 Opening\u{0}\r\n226 Done\r\n227 Entering Passive Mode (203,0,113,10,195,80).\r\n")
        XCTAssertEqual(ev.refusals, [.nulByte])
        XCTAssertEqual(ev.opened.map(\.key.port), [50_000])
    }
}
