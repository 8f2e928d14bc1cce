import PinholeCore
import XCTest

final class InspectorLifecycleTests: XCTestCase {
    func openOne(_ i: inout Inspector, clientPort: UInt16 = 40_000, p2: Int = 80) -> FTPConversation {
        var c = FTPConversation(clientPort: clientPort)
        _ = c.handshake(&i)
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,\(p2)).\r\n").opened.count, 1)
        return c
    }

    func testReloadKeepsWhatIsStillAllowedAndClosesTheRest() {
        var i = Inspector(policy: TestPolicy.make())
        _ = openOne(&i, clientPort: 40_000, p2: 80)   // 50000
        _ = openOne(&i, clientPort: 40_001, p2: 120)  // 50040
        let before = i.pinholes[PinholeKey(initiator: IPAddress("198.51.100.2")!, responder: IPAddress("203.0.113.10")!,
                                           port: 50_000)]
        let ev = i.reload(policy: TestPolicy.make(ports: PortRange(lower: 50_000, upper: 50_010)!))
        XCTAssertEqual(ev.closeReasons, [.policy])
        XCTAssertEqual(i.pinholes.keys.map(\.port), [50_000])
        XCTAssertEqual(i.pinholes.values.first?.expires, before?.expires, "a kept pinhole keeps its deadline")
        // Removing the service closes its sessions.
        let gone = i.reload(policy: Policy(services: []))
        XCTAssertEqual(gone.closeReasons, [.policy])
        XCTAssertEqual(i.sessionCount, 0)
    }

    /// A shorter `pinhole_timeout` holds for pinholes already open: each
    /// expires at most that long after it opened; a longer one extends none.
    func testReloadWithAShorterTimeoutShortensOpenPinholes() throws {
        var i = Inspector(policy: TestPolicy.make(timeoutMs: 60_000))
        let c = openOne(&i, clientPort: 40_000, p2: 80)  // 50000, at c.now
        let opened = try XCTUnwrap(i.pinholes.values.first)
        _ = i.takeChangedPinholes()

        _ = i.reload(policy: TestPolicy.make(timeoutMs: 120_000))
        XCTAssertEqual(i.pinholes[opened.key]?.expires, opened.expires, "a longer timeout extends no open pinhole")
        XCTAssertEqual(i.takeChangedPinholes(), [])

        let shortened = i.reload(policy: TestPolicy.make(timeoutMs: 20_000))
        XCTAssertEqual(shortened.closeReasons, [])
        XCTAssertEqual(i.pinholes[opened.key]?.expires, opened.created.adding(milliseconds: 20_000))
        XCTAssertEqual(shortened, [.pinholeShortened(i.pinholes[opened.key]!)], "one event, one log line")
        XCTAssertEqual(i.takeChangedPinholes(), [opened.key], "the element is written again with the shorter timeout")
        XCTAssertEqual(i.expire(now: c.now.adding(milliseconds: 19_999)).closeReasons, [])
        XCTAssertEqual(i.expire(now: c.now.adding(milliseconds: 20_000)).closeReasons, [.expired])

        // Reloaded with 10 s and scanned 30 s after it opened: past its new deadline, it goes.
        let d = openOne(&i, clientPort: 40_001, p2: 81)
        _ = i.reload(policy: TestPolicy.make(timeoutMs: 10_000))
        XCTAssertEqual(i.expire(now: d.now.adding(milliseconds: 30_000)).closeReasons, [.expired])
        XCTAssertTrue(i.pinholes.isEmpty)
    }

    func testReloadRemovingAClientClosesItsSessions() {
        var i = Inspector(policy: TestPolicy.make())
        _ = openOne(&i)
        _ = i.reload(policy: TestPolicy.make(clients: ["198.51.100.128/25"]))
        XCTAssertTrue(i.pinholes.isEmpty)
        XCTAssertEqual(i.sessionCount, 0)
    }

    func testFlushByService() {
        var i = Inspector(policy: TestPolicy.make())
        _ = openOne(&i)
        XCTAssertEqual(i.flush(service: "other").count, 0)
        XCTAssertEqual(i.flush(service: "lab").closeReasons, [.flushed])
        XCTAssertEqual(i.counters.pinholesFlushed, 1)
    }

    func testResyncClosesSessionsMissingFromTheDumpAndPicksUpNewOnes() {
        var i = Inspector(policy: TestPolicy.make())
        let c = openOne(&i)
        let other = ConntrackEvent(kind: .existing, source: IPAddress("198.51.100.3")!, destination: IPAddress("203.0.113.10")!,
                                   sourcePort: 41_000, destinationPort: 21, tcpState: .established)
        let ev = i.resync(dump: [other], now: c.now)
        XCTAssertEqual(ev.closeReasons, [.sessionClosed])
        XCTAssertEqual(i.sessionCount, 1)
        XCTAssertTrue(ev.contains(.sessionOpened(session: ConnectionKey(client: other.source, clientPort: 41_000,
                                                                        server: other.destination, serverPort: 21),
                                                service: "lab", midstream: true)))
    }

    func testAdoptKeepsOnlyPinholesWhoseCommentNamesALiveSession() {
        var i = Inspector(policy: TestPolicy.make())
        let live = ConntrackEvent(kind: .existing, source: IPAddress("198.51.100.2")!, destination: IPAddress("203.0.113.10")!,
                                  sourcePort: 40_000, destinationPort: 21, tcpState: .established)
        let now = Instant(nanoseconds: 5_000_000_000)
        _ = i.resync(dump: [live], now: now)
        let liveKey = ConnectionKey(client: live.source, clientPort: 40_000, server: live.destination, serverPort: 21)
        let goneKey = ConnectionKey(client: live.source, clientPort: 40_001, server: live.destination, serverPort: 21)
        func element(_ port: UInt16, _ comment: String?) -> KernelElement {
            KernelElement(key: PinholeKey(initiator: live.source, responder: live.destination, port: port),
                          expiresInMs: 12_000, comment: comment)
        }
        let mine = element(50_005, "pinholed \(liveKey) lab")
        let earlierFormat = element(50_009, "pinholed lab \(liveKey)")  // written before the session came first
        let byHand = element(50_006, nil)                            // same client and server, no session behind it
        let otherSession = element(50_007, "pinholed \(goneKey) lab")  // that session is gone
        let outOfRange = element(60_000, "pinholed \(liveKey) lab")
        let garbage = element(50_008, "pinholed not-a-session lab")
        let notOurs = element(50_010, "someone \(liveKey) lab")
        let all = [mine, earlierFormat, byHand, otherSession, outOfRange, garbage, notOurs]
        let ev = i.adopt(elements: all, now: now)
        XCTAssertEqual(Set(ev.opened.map(\.key)), [mine.key, earlierFormat.key])
        XCTAssertEqual(i.pinholes[mine.key]?.expires, now.adding(milliseconds: 12_000))
        XCTAssertEqual(i.pinholes[mine.key]?.elementComment, mine.comment, "the comment round-trips")
        // The reconciler, believing all of them, deletes the ones not adopted.
        var r = Reconciler()
        r.reset(toKernel: all, now: now)
        let plan = r.plan(desired: i.pinholes, now: now)
        XCTAssertEqual(Set(plan.deletes), Set(all.dropFirst(2).map(\.key)))
        XCTAssertTrue(plan.adds.isEmpty, "an adopted element with the same deadline is not rewritten")
    }

    func testConnectionKeyParsesItsOwnDescription() {
        for k in [ConnectionKey(client: IPAddress("198.51.100.2")!, clientPort: 40_000, server: IPAddress("203.0.113.10")!, serverPort: 21),
                  ConnectionKey(client: IPAddress("2001:db8:1::2")!, clientPort: 1, server: IPAddress("2001:db8:2::10")!, serverPort: 65_535)] {
            XCTAssertEqual(ConnectionKey(parsing: Substring(k.description)), k)
        }
        for bad in ["", "->", "198.51.100.2:40000", "198.51.100.2:40000->2001:db8::1:21", "198.51.100.2:99999->203.0.113.10:21",
                    "[2001:db8::1]:x->[2001:db8::2]:21", "198.51.100.2:40000->203.0.113.10:21->x"] {
            XCTAssertNil(ConnectionKey(parsing: Substring(bad)), bad)
        }
    }
}

final class InspectorAdoptLimitTests: XCTestCase {
    /// Found by the fuzzer: adoption must respect the global pinhole limit too.
    func testAdoptionStopsAtTheGlobalLimit() {
        var policy = TestPolicy.make(perSession: 2, sessions: 3, pinholes: 4)
        policy.limits.pinholes = 4
        var i = Inspector(policy: policy)
        let server = IPAddress("203.0.113.10")!, client = IPAddress("198.51.100.2")!
        let dump = (0..<3).map {
            ConntrackEvent(kind: .existing, source: client, destination: server, sourcePort: UInt16(40_000 + $0),
                           destinationPort: 21, tcpState: .established)
        }
        let now = Instant(nanoseconds: 1_000_000_000)
        _ = i.resync(dump: dump, now: now)
        var elements: [KernelElement] = []
        for (n, e) in dump.enumerated() {
            let session = ConnectionKey(client: client, clientPort: e.sourcePort, server: server, serverPort: 21)
            for k in 0..<2 {
                elements.append(KernelElement(key: PinholeKey(initiator: client, responder: server, port: UInt16(50_000 + 2 * n + k)),
                                              expiresInMs: 10_000, comment: "pinholed \(session) lab"))
            }
        }
        _ = i.adopt(elements: elements, now: now)
        XCTAssertEqual(i.pinholes.count, 4, "six candidates, global limit four")
    }
}

final class InspectorLostCopiesTests: XCTestCase {
    /// After lost NFLOG copies a stream has a hole; the session must resync at
    /// the next line start instead of stalling or pairing a lost PASV.
    func testRestartStreamsResynchronizesAtTheNextLine() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "PASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened.count, 1)
        _ = c.client(&i, "PASV\r\n")
        // The 227 for that PASV, and more, are lost: the sender's sequence jumps ahead.
        c.serverSeq &+= 5_000
        i.restartStreams()
        XCTAssertEqual(i.pinholes.count, 1, "pinholes negotiated before the loss stay")
        // A line that started in the lost part ends here, then a 227 with no PASV in sync.
        let ev = c.server(&i, "(203,0,113,10,195,90).\r\n227 Entering Passive Mode (203,0,113,10,195,91).\r\n")
        XCTAssertEqual(ev.opened.count, 0, "nothing before the next line start; the lost PASV pairs with nothing")
        _ = c.client(&i, "junk after the hole\r\nPASV\r\n")
        XCTAssertEqual(c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,92).\r\n").opened.map(\.key.port), [50_012])
    }
}
