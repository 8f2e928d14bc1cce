import PinholeCore
import XCTest

/// `planChanges` diffs only what the inspector changed: the daemon plans
/// twice per loop round, and a full diff cost every open pinhole each time
/// (at 4,700 pinholes, 18 ms of CPU per transfer instead of 1.3 ms).
final class ReconcilerChangesTests: XCTestCase {
    let t0 = Instant(nanoseconds: 10_000_000_000)

    func pinhole(_ port: UInt16, expiresInMs: UInt64 = 30_000) -> Pinhole {
        CoreFixtures.pinhole(port, created: t0, expiresInMs: expiresInMs)
    }

    func testOnlyDirtyKeysAreDiffedOnceCommitted() {
        var r = Reconciler()
        var desired: [PinholeKey: Pinhole] = [:]
        for port in UInt16(50_000)..<50_100 { let p = pinhole(port); desired[p.key] = p }
        let first = r.planChanges(desired: desired, now: t0)
        XCTAssertEqual(first.adds.count, 100, "a fresh reconciler diffs everything")
        r.committed(first)
        XCTAssertTrue(r.dirty.isEmpty)
        let gone = pinhole(50_000).key, added = pinhole(50_200)
        desired[gone] = nil
        desired[added.key] = added
        XCTAssertTrue(r.planChanges(desired: desired, now: t0).isEmpty, "nothing marked: nothing looked at")
        r.markDirty([gone, added.key])
        let plan = r.planChanges(desired: desired, now: t0)
        XCTAssertEqual(plan, r.plan(desired: desired, now: t0), "the same batch as a full diff")
        XCTAssertEqual(plan.adds.map(\.key), [added.key])
        XCTAssertEqual(plan.deletes, [gone])
        r.committed(plan)
        XCTAssertTrue(r.dirty.isEmpty)
        XCTAssertTrue(r.plan(desired: desired, now: t0).isEmpty, "the belief matches")
    }

    func testUnsettledKeysStayDirty() {
        var r = Reconciler()
        r.committed(r.planChanges(desired: [:], now: t0))
        let a = pinhole(50_000), b = pinhole(50_001)
        r.markDirty([a.key, b.key])
        // A failed batch is not committed: still dirty.
        _ = r.planChanges(desired: [a.key: a, b.key: b], now: t0)
        XCTAssertEqual(r.dirty, [a.key, b.key])
        // Deletes alone (adds backing off): the adds stay dirty.
        let deletesOnly = r.planChanges(desired: [a.key: a, b.key: b], now: t0, adds: false)
        XCTAssertTrue(deletesOnly.isEmpty)
        r.committed(deletesOnly)
        XCTAssertEqual(r.dirty, [a.key, b.key])
        let full = r.planChanges(desired: [a.key: a, b.key: b], now: t0)
        XCTAssertEqual(full.adds.count, 2)
        r.committed(full)
        // A deferred delete not yet due stays dirty until it goes.
        r.deferDelete(a.key, until: t0.adding(milliseconds: 1_000))
        r.markDirty([a.key])
        let early = r.planChanges(desired: [b.key: b], now: t0)
        XCTAssertTrue(early.isEmpty)
        r.committed(early)
        XCTAssertEqual(r.dirty, [a.key])
        XCTAssertEqual(r.planChanges(desired: [b.key: b], now: t0.adding(milliseconds: 1_000)).deletes, [a.key])
        // A reset diffs everything again.
        r.reset(toKernel: [], now: t0)
        XCTAssertTrue(r.dirtyAll)
        XCTAssertEqual(r.planChanges(desired: [b.key: b], now: t0).adds.map(\.key), [b.key])
    }

    /// Random opens, refreshes and closes, committed or failed: marking the
    /// inspector's changes gives every time the batch a full diff gives.
    func testMatchesAFullDiffUnderRandomChanges() {
        var rng = CoreFixtures.SeededRNG(seed: 7)
        var r = Reconciler()
        var desired: [PinholeKey: Pinhole] = [:]
        var changed = Set<PinholeKey>()
        var now = t0
        for round in 0..<2_000 {
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let p = pinhole(UInt16.random(in: 50_000...50_063, using: &rng),
                                expiresInMs: UInt64.random(in: 1...8_000, using: &rng))
                if Bool.random(using: &rng) { desired[p.key] = p } else { desired[p.key] = nil }
                changed.insert(p.key)
            }
            if round % 97 == 0 { r.deferDelete(desired.keys.first ?? pinhole(50_000).key, until: now.adding(milliseconds: 5)) }
            r.markDirty(changed)
            changed = []
            let adds = Int.random(in: 0..<10, using: &rng) != 0
            let plan = r.planChanges(desired: desired, now: now, adds: adds)
            XCTAssertEqual(plan, r.plan(desired: desired, now: now, adds: adds), "round \(round)")
            if Int.random(in: 0..<8, using: &rng) != 0 { r.committed(plan) }  // else the batch failed
            now = now.adding(milliseconds: UInt64.random(in: 0...3, using: &rng))
        }
    }
}
