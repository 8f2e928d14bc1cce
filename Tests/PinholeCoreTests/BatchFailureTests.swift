import PinholeCore
import XCTest

/// What the daemon does with a batch the kernel refuses: an add it names is
/// closed and counted, deletes can go without the adds, and unexplained
/// failures back off instead of repeating every loop round.
final class BatchFailureTests: XCTestCase {
    let t0 = Instant(nanoseconds: 10_000_000_000)

    func testARefusedAddClosesItsPinholeCountedAndLoggedOncePerSession() {
        var (i, c) = FTPConversation.started()
        _ = c.client(&i, "PASV\r\n")
        let opened = c.server(&i, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n").opened
        XCTAssertEqual(opened.count, 1)
        let key = opened[0].key
        let ev = i.kernelRefused(key, detail: "ENFILE from set inet filter ftp_pinholes4")
        XCTAssertNil(i.pinholes[key], "the refused pinhole is closed")
        XCTAssertEqual(ev.closeReasons, [.kernelRefused])
        XCTAssertEqual(i.counters.refusedByName["kernel_refused"], 1, "counted where pinholectl status shows refusals")
        guard case .refused(_, "lab", .kernelRefused, let detail, true)? = ev.first else {
            return XCTFail("expected a first-in-session refusal event, got \(ev)")
        }
        XCTAssert(detail.contains("ENFILE") && detail.contains("\(key)"), detail)
        XCTAssertEqual(i.sessionCount, 1, "the session itself goes on")
        XCTAssertTrue(i.kernelRefused(key, detail: "again").isEmpty, "a pinhole already gone: nothing to do")
    }

    func testDeletesOnlyPlanLeavesAddsForLater() {
        let s = ConnectionKey(client: IPAddress("198.51.100.2")!, clientPort: 40_000, server: IPAddress("203.0.113.10")!, serverPort: 21)
        func pinhole(_ port: UInt16) -> Pinhole {
            Pinhole(key: PinholeKey(initiator: s.client, responder: s.server, port: port), service: "lab", mode: .passive,
                    session: s, created: t0, expires: t0.adding(milliseconds: 30_000))
        }
        let a = pinhole(50_000), b = pinhole(50_001)
        var r = Reconciler()
        r.committed(r.plan(desired: [a.key: a], now: t0))
        // a's session closed while b waits for a kernel that refuses adds.
        let deletesOnly = r.plan(desired: [b.key: b], now: t0, adds: false)
        XCTAssertEqual(deletesOnly.deletes, [a.key])
        XCTAssertTrue(deletesOnly.adds.isEmpty)
        r.committed(deletesOnly)
        let later = r.plan(desired: [b.key: b], now: t0)
        XCTAssertEqual(later.adds.map(\.key), [b.key], "the add is still planned")
        XCTAssertTrue(later.deletes.isEmpty, "the delete is not repeated")
    }

    func testBackoffDoublesToItsCapLetsDeletesThroughAndEndsOnCommit() {
        var b = BatchBackoff()
        XCTAssertTrue(b.allows(adds: true, now: t0))
        b.failed(now: t0, deletesOnly: false)
        XCTAssertFalse(b.allows(adds: true, now: t0.adding(milliseconds: 99)), "no batch with adds for 100 ms")
        XCTAssertTrue(b.allows(adds: false, now: t0.adding(milliseconds: 1)), "deletes are not held hostage")
        XCTAssertTrue(b.allows(adds: true, now: t0.adding(milliseconds: 100)))
        var delays: [UInt64] = []
        for _ in 0..<8 {
            b.failed(now: t0, deletesOnly: false)
            delays.append(t0.milliseconds(until: b.retryAt!))
        }
        XCTAssertEqual(delays, [200, 400, 800, 1600, 2000, 2000, 2000, 2000])
        b.failed(now: t0, deletesOnly: true)
        XCTAssertFalse(b.allows(adds: false, now: t0.adding(milliseconds: 1)), "deletes alone failed too: they wait as well")
        b.committed(deletesOnly: true)
        XCTAssertTrue(b.allows(adds: false, now: t0.adding(milliseconds: 1)))
        XCTAssertFalse(b.allows(adds: true, now: t0.adding(milliseconds: 1)), "a delete-only commit does not end the back-off")
        b.committed(deletesOnly: false)
        XCTAssertEqual(b, BatchBackoff(), "a full commit ends it")
    }
}
