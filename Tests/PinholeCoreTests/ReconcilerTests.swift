import PinholeCore
import XCTest

final class ReconcilerTests: XCTestCase {
    let t0 = Instant(nanoseconds: 10_000_000_000)

    func pinhole(_ port: UInt16, expiresInMs: UInt64) -> Pinhole {
        let key = PinholeKey(initiator: IPAddress("198.51.100.2")!, responder: IPAddress("203.0.113.10")!, port: port)
        let s = ConnectionKey(client: key.initiator, clientPort: 40_000, server: key.responder, serverPort: 21)
        return Pinhole(key: key, service: "lab", mode: .passive, session: s, created: t0,
                       expires: t0.adding(milliseconds: expiresInMs))
    }

    func testAddsMissingDeletesLeftoversAndIsIdempotent() {
        var r = Reconciler()
        let a = pinhole(50_000, expiresInMs: 30_000), b = pinhole(50_001, expiresInMs: 5_000)
        var plan = r.plan(desired: [a.key: a, b.key: b], now: t0)
        XCTAssertEqual(plan.adds.map(\.key.port), [50_000, 50_001])
        XCTAssertEqual(plan.adds.map(\.timeoutMs), [30_000, 5_000])
        r.committed(plan)
        XCTAssertTrue(r.plan(desired: [a.key: a, b.key: b], now: t0).isEmpty, "nothing to do twice")
        plan = r.plan(desired: [b.key: b], now: t0.adding(milliseconds: 1_000))
        XCTAssertEqual(plan.deletes, [a.key])
        XCTAssertTrue(plan.adds.isEmpty)
    }

    func testUncommittedPlanChangesNothing() {
        var r = Reconciler()
        let a = pinhole(50_000, expiresInMs: 30_000)
        _ = r.plan(desired: [a.key: a], now: t0)  // the batch failed: not committed
        XCTAssertEqual(r.plan(desired: [a.key: a], now: t0).adds.count, 1)
        r.reset(toKernel: [], now: t0)
        XCTAssertEqual(r.plan(desired: [a.key: a], now: t0).adds.count, 1)
    }

    func testReopenedKeyIsRewrittenWithItsNewDeadline() {
        var r = Reconciler()
        let a = pinhole(50_000, expiresInMs: 30_000)
        r.committed(r.plan(desired: [a.key: a], now: t0))
        var again = a
        again.expires = t0.adding(milliseconds: 40_000)
        let plan = r.plan(desired: [a.key: again], now: t0.adding(milliseconds: 10_000))
        XCTAssertEqual(plan.adds.map(\.timeoutMs), [30_000])
    }

    func testExpiredDesiredIsNotWritten() {
        let r = Reconciler()
        let a = pinhole(50_000, expiresInMs: 1_000)
        XCTAssertTrue(r.plan(desired: [a.key: a], now: t0.adding(milliseconds: 1_000)).isEmpty)
    }
}
