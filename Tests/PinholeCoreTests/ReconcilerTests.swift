import PinholeCore
import XCTest

final class ReconcilerTests: XCTestCase {
    let t0 = Instant(nanoseconds: 10_000_000_000)

    func pinhole(_ port: UInt16, expiresInMs: UInt64) -> Pinhole {
        CoreFixtures.pinhole(port, created: t0, expiresInMs: expiresInMs)
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

    func testDeferredDeleteWaitsForTheNextBatchOrItsDeadline() {
        var r = Reconciler()
        let a = pinhole(50_000, expiresInMs: 30_000), b = pinhole(50_001, expiresInMs: 30_000)
        r.committed(r.plan(desired: [a.key: a], now: t0))
        // `a` was used: the kernel deleted it on match; ours may wait.
        r.deferDelete(a.key, until: t0.adding(milliseconds: 1_000))
        XCTAssertEqual(r.nextDeferredDeadline, t0.adding(milliseconds: 1_000))
        XCTAssertTrue(r.plan(desired: [:], now: t0.adding(milliseconds: 999)).isEmpty, "alone and not due: no transaction")
        XCTAssertEqual(r.believed[a.key], a.expires, "still believed until a batch deletes it")
        let due = r.plan(desired: [:], now: t0.adding(milliseconds: 1_000))
        XCTAssertEqual(due.deletes, [a.key], "due: deleted on its own")
        // Not due, but another change is being written anyway: it rides along.
        let along = r.plan(desired: [b.key: b], now: t0.adding(milliseconds: 10))
        XCTAssertEqual(along.deletes, [a.key])
        XCTAssertEqual(along.adds.map(\.key), [b.key])
        r.committed(along)
        XCTAssertNil(r.nextDeferredDeadline, "committed deletes leave the deferred list")
        XCTAssertNil(r.believed[a.key])
    }

    func testDeferredDeleteDoesNotHideOtherDeletesAndNeedsABelief() {
        var r = Reconciler()
        let a = pinhole(50_000, expiresInMs: 30_000), b = pinhole(50_001, expiresInMs: 30_000)
        r.committed(r.plan(desired: [a.key: a, b.key: b], now: t0))
        r.deferDelete(a.key, until: t0.adding(milliseconds: 1_000))
        // `b` closed for another reason (session closed): deleted now, and `a` with it.
        XCTAssertEqual(r.plan(desired: [:], now: t0).deletes, [a.key, b.key])
        // Deferring a delete of something never written does nothing.
        var fresh = Reconciler()
        fresh.deferDelete(a.key, until: t0.adding(milliseconds: 1_000))
        XCTAssertNil(fresh.nextDeferredDeadline)
        // A dump replaces every belief, deferrals included.
        r.reset(toKernel: [], now: t0)
        XCTAssertNil(r.nextDeferredDeadline)
    }

    func testReaddedDeferredKeyIsWrittenAndNoLongerDeferred() {
        var r = Reconciler()
        let a = pinhole(50_000, expiresInMs: 30_000)
        r.committed(r.plan(desired: [a.key: a], now: t0))
        r.deferDelete(a.key, until: t0.adding(milliseconds: 1_000))
        var again = a
        again.expires = t0.adding(milliseconds: 40_000)
        let plan = r.plan(desired: [a.key: again], now: t0.adding(milliseconds: 10))
        XCTAssertEqual(plan.adds.map(\.key), [a.key], "announced again: rewritten at once")
        r.committed(plan)
        XCTAssertNil(r.nextDeferredDeadline)
        XCTAssertTrue(r.plan(desired: [a.key: again], now: t0.adding(milliseconds: 2_000)).isEmpty)
    }
}
