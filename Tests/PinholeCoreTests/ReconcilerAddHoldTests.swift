import PinholeCore
import XCTest

/// With the race guard on, a new pinhole's add waits out the window in which
/// its SYN is expected: a SYN in it is accepted by verdict, and the element
/// is never written (nor deleted again).
final class ReconcilerAddHoldTests: XCTestCase {
    let t0 = Instant(nanoseconds: 10_000_000_000)
    let hold: UInt64 = 1_000_000

    func pinhole(_ port: UInt16, created: Instant? = nil, expiresInMs: UInt64 = 30_000) -> Pinhole {
        CoreFixtures.pinhole(port, created: created ?? t0, expiresInMs: expiresInMs)
    }

    func guarded() -> Reconciler {
        var r = Reconciler()
        r.addHoldNanoseconds = hold
        r.committed(r.planChanges(desired: [:], now: t0))
        return r
    }

    func testNewAddWaitsOutItsHoldThenGoes() {
        var r = guarded()
        let p = pinhole(50_000)
        r.markDirty([p.key])
        let early = r.planChanges(desired: [p.key: p], now: t0.adding(nanoseconds: hold - 1))
        XCTAssertTrue(early.isEmpty, "held: no batch in the window")
        XCTAssertEqual(early.heldAddDue, t0.adding(nanoseconds: hold))
        r.committed(early)
        XCTAssertEqual(r.dirty, [p.key], "a held add stays dirty")
        XCTAssertEqual(r.nextHeldAddDue, t0.adding(nanoseconds: hold), "the daemon wakes for it")
        let due = r.planChanges(desired: [p.key: p], now: t0.adding(nanoseconds: hold))
        XCTAssertEqual(due.adds.map(\.key), [p.key])
        XCTAssertNil(due.heldAddDue)
        r.committed(due)
        XCTAssertNil(r.nextHeldAddDue)
        XCTAssertEqual(r.believed[p.key], p.expires)
    }

    func testUsedInItsHoldItIsNeverWrittenNorDeleted() {
        var r = guarded()
        let p = pinhole(50_000)
        r.markDirty([p.key])
        r.committed(r.planChanges(desired: [p.key: p], now: t0))
        // The queued SYN used it: the inspector no longer wants it.
        r.markDirty([p.key])
        let after = r.planChanges(desired: [:], now: t0.adding(nanoseconds: hold * 5))
        XCTAssertTrue(after.isEmpty, "nothing to add, nothing the kernel holds to delete")
        r.committed(after)
        XCTAssertNil(r.nextHeldAddDue)
        XCTAssertTrue(r.believed.isEmpty)
    }

    func testEarliestHeldAddIsTheWakeup() {
        var r = guarded()
        let a = pinhole(50_000, created: t0.adding(nanoseconds: 300_000)), b = pinhole(50_001)
        let old = pinhole(50_002, created: Instant(nanoseconds: t0.nanoseconds - hold))
        r.markDirty([a.key, b.key, old.key])
        let plan = r.planChanges(desired: [a.key: a, b.key: b, old.key: old], now: t0.adding(nanoseconds: 400_000))
        XCTAssertEqual(plan.adds.map(\.key), [old.key], "past its hold: written now")
        XCTAssertEqual(plan.heldAddDue, t0.adding(nanoseconds: hold), "b's due time, the earlier of the two held")
    }

    func testRefreshOfAWrittenElementIsNotHeld() {
        var r = guarded()
        let p = pinhole(50_000, created: Instant(nanoseconds: t0.nanoseconds - hold))
        r.markDirty([p.key])
        r.committed(r.planChanges(desired: [p.key: p], now: t0))
        XCTAssertEqual(r.believed[p.key], p.expires)
        // Announced again: same key, new expiry (created stays, as the inspector keeps it; a
        // refreshed pinhole created just now is the case that matters).
        var again = p
        again.created = t0
        again.expires = t0.adding(milliseconds: 60_000)
        r.markDirty([p.key])
        let plan = r.planChanges(desired: [p.key: again], now: t0)
        XCTAssertEqual(plan.adds.map(\.key), [p.key], "the kernel has it: its new timeout goes at once")
    }

    func testNoHoldWithoutTheGuard() {
        var r = Reconciler()
        let p = pinhole(50_000)
        let plan = r.planChanges(desired: [p.key: p], now: t0)
        XCTAssertEqual(plan.adds.map(\.key), [p.key])
        XCTAssertNil(plan.heldAddDue)
        r.committed(plan)
        XCTAssertNil(r.nextHeldAddDue)
    }

    func testResetForgetsTheWakeup() {
        var r = guarded()
        let p = pinhole(50_000)
        r.markDirty([p.key])
        r.committed(r.planChanges(desired: [p.key: p], now: t0))
        XCTAssertNotNil(r.nextHeldAddDue)
        r.reset(toKernel: [], now: t0)
        XCTAssertNil(r.nextHeldAddDue)
        // The full diff after a reset holds it again.
        XCTAssertTrue(r.planChanges(desired: [p.key: p], now: t0).isEmpty)
    }
}
