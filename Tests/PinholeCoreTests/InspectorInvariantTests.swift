@testable import PinholeCore
import XCTest

/// Random operations on the whole inspector; after each, the session table and
/// the pinhole table must agree and every pinhole must obey the rules.
final class InspectorInvariantTests: XCTestCase {
    func checkInvariants(_ i: Inspector, _ step: String) {
        for (k, p) in i.pinholes {
            XCTAssertEqual(k, p.key, step)
            guard let s = i.sessions[p.session] else { XCTFail("orphan pinhole \(k) at \(step)"); continue }
            XCTAssertTrue(s.pinholes.contains(k), "session does not list its pinhole \(k) at \(step)")
            XCTAssertGreaterThanOrEqual(k.port, 1024, step)
            let sk = p.session
            let expected = p.mode == .passive ? PinholeKey(initiator: sk.client, responder: sk.server, port: k.port)
                                              : PinholeKey(initiator: sk.server, responder: sk.client, port: k.port)
            XCTAssertEqual(k, expected, step)
        }
        for (sk, s) in i.sessions {
            XCTAssertEqual(Set(s.pinholes).count, s.pinholes.count, "duplicate pinhole in \(sk) at \(step)")
            XCTAssertLessThanOrEqual(s.pinholes.count, i.policy.limits.pinholesPerSession, step)
            for k in s.pinholes { XCTAssertEqual(i.pinholes[k]?.session, sk, "stale list entry \(k) at \(step)") }
        }
        XCTAssertLessThanOrEqual(i.pinholes.count, i.policy.limits.pinholes, step)
        XCTAssertLessThanOrEqual(i.sessionCount, i.policy.limits.sessions, step)
        // The daemon's timer wakes no later than the earliest expiry.
        if let earliest = i.pinholes.values.map(\.expires).min() {
            XCTAssertNotNil(i.nextExpiry, step)
            XCTAssertLessThanOrEqual(i.nextExpiry ?? .init(nanoseconds: .max), earliest, "nextExpiry after a pinhole's expiry at \(step)")
        }
        // Every pinhole opened is open, or closed for exactly one counted reason.
        let closed = i.counters.pinholesClosed.values.reduce(0, +)
        XCTAssertEqual(i.counters.pinholesOpened, UInt64(i.pinholes.count) + closed,
                       "opened \(i.counters.pinholesOpened) != open \(i.pinholes.count) + closed \(i.counters.pinholesClosed) at \(step)")
    }

    func testRandomOperationsKeepTablesConsistent() {
        var rng = CoreFixtures.SeededRNG(seed: 0xC0FFEE)
        let policies = [TestPolicy.make(active: true, perSession: 2, sessions: 3, pinholes: 5),
                        TestPolicy.make(passive: true, active: false, ports: PortRange(lower: 50_000, upper: 50_040)!,
                                        perSession: 3, sessions: 3, pinholes: 4)]
        let fragments = ["PASV\r\n", "EPSV\r\n", "PORT 198,51,100,2,195,80\r\n", "PORT 198,51,100,2,195,81\r\n",
                         "227 Entering Passive Mode (203,0,113,10,195,80).\r\n",
                         "227 Entering Passive Mode (203,0,113,10,195,99).\r\n", "229 (|||50001|)\r\n",
                         "229 (|||50050|)\r\n", "200 ok\r\n", "500 no\r\n", "211-x\r\n", "211 end\r\n", "\u{0}\r\n",
                         "EPRT |1|198.51.100.2|50003|\r\n", "150 go\r\n", "xx", "\r\n"]
        let states: [TCPConntrackState?] = [nil, .synSent, .established, .finWait, .timeWait, .close]
        for round in 0..<400 {
            var i = Inspector(policy: policies[0])
            var convs = (0..<4).map { FTPConversation(clientPort: UInt16(40_000 + $0)) }
            var now = convs[0].now
            for step in 0..<60 {
                let n = Int(rng.next() % 4)
                let op = rng.next() % 20
                let label = "round \(round) step \(step) op \(op)"
                switch op {
                case 0:
                    convs[n].serverSeq = UInt32(truncatingIfNeeded: rng.next())
                    convs[n].now = now
                    _ = convs[n].handshake(&i)
                case 1:
                    let kinds: [ConntrackEvent.Kind] = [.new, .update, .destroy, .existing]
                    let k = convs[n].key
                    _ = i.handle(conntrack: ConntrackEvent(kind: kinds[Int(rng.next() % 4)], source: k.client,
                                                           destination: k.server, sourcePort: k.clientPort,
                                                           destinationPort: k.serverPort,
                                                           tcpState: states[Int(rng.next() % 6)]), now: now)
                case 2:
                    now = Instant(nanoseconds: now.nanoseconds + rng.next() % 40_000_000_000)
                    _ = i.expire(now: now)
                    XCTAssertFalse(i.pinholes.values.contains { $0.expires <= now }, "a due pinhole outlived expire")
                case 3: _ = i.reload(policy: policies[Int(rng.next() % 2)])
                case 4: i.restartStreams()
                case 5: _ = i.flush(service: rng.next() % 2 == 0 ? nil : "lab")
                case 6:
                    if let k = i.pinholes.keys.randomElement(using: &rng) { _ = i.markUsed(k) }
                case 7:
                    _ = convs[n].fin(&i, fromClient: rng.next() % 2 == 0)
                case 8:
                    let dump = convs.filter { _ in rng.next() % 2 == 0 }.map {
                        ConntrackEvent(kind: .existing, source: $0.key.client, destination: $0.key.server,
                                       sourcePort: $0.key.clientPort, destinationPort: $0.key.serverPort,
                                       tcpState: .established)
                    }
                    _ = i.resync(dump: dump, now: now)
                case 9:
                    let k = convs[n].key
                    let els = i.pinholes.values.map {
                        KernelElement(key: PinholeKey(initiator: $0.key.initiator, responder: $0.key.responder,
                                                      port: $0.key.port &+ 1),
                                      expiresInMs: 1000, comment: "pinholed lab \(k)")
                    }
                    _ = i.adopt(elements: els, now: now)
                default:
                    convs[n].now = now
                    let text = fragments[Int(rng.next() % UInt64(fragments.count))]
                    let fromClient = rng.next() % 2 == 0
                    if rng.next() % 8 == 0 { // out-of-order / retransmitted data
                        if fromClient { convs[n].clientSeq &+= UInt32(rng.next() % 16) } else {
                            convs[n].serverSeq &-= UInt32(rng.next() % 16) }
                    }
                    _ = convs[n].send(&i, fromClient: fromClient, text, cuts: [Int(rng.next() % 12)])
                }
                checkInvariants(i, label)
            }
        }
    }
}
