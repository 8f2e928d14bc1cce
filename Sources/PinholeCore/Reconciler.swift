/// Desired vs. believed set elements (the kube-proxy pattern): each change is
/// a diff against what we believe the kernel holds; after any failure the
/// belief is rebuilt from a dump instead of guessed.
public struct Reconciler: Sendable {
    /// Element -> the expiry we last wrote for it.
    public private(set) var believed: [PinholeKey: Instant] = [:]
    /// Deletes that may wait for the next batch, each until its deadline (see `deferDelete`).
    public private(set) var deferred: [PinholeKey: Instant] = [:]
    /// When batches may be tried again after failures nobody could explain.
    public var backoff = BatchBackoff()

    public init() {}

    /// Elements whose desired state may differ from `believed` since the
    /// last commit: only these are diffed. A full diff costs every open
    /// pinhole on every loop round (at 4,700 pinholes, 92% of pinholed's CPU
    /// and 18 ms per transfer), so the caller reports what it changed.
    public private(set) var dirty: Set<PinholeKey> = []
    /// Until the first commit, and after a reset from a dump: diff everything once.
    public private(set) var dirtyAll = true

    public struct Plan: Sendable, Equatable {
        /// Elements to (re)write with their timeout in milliseconds. Re-adding
        /// an existing element refreshes its timeout.
        public var adds: [(key: PinholeKey, timeoutMs: UInt64)]
        public var deletes: [PinholeKey]
        /// How `believed` changes once the batch is acknowledged (nil: removed).
        fileprivate var after: [PinholeKey: Instant?]
        /// Examined but not settled by this batch (adds left out, deferred
        /// deletes): still dirty after it.
        fileprivate var unsettled: Set<PinholeKey>

        public var isEmpty: Bool { adds.isEmpty && deletes.isEmpty }

        public static func == (a: Plan, b: Plan) -> Bool {
            a.adds.map(\.key) == b.adds.map(\.key) && a.adds.map(\.timeoutMs) == b.adds.map(\.timeoutMs)
                && a.deletes == b.deletes
        }
    }

    /// The batch that makes the kernel match `desired`. Elements the kernel
    /// removed itself (used one-shot, timed out) are deleted idempotently.
    /// Without `adds`, only the deletes: a close must not wait on adds the
    /// kernel refuses. Diffs every element; `planChanges` only the dirty ones.
    public func plan(desired: [PinholeKey: Pinhole], now: Instant, adds includeAdds: Bool = true) -> Plan {
        let keys = Array(desired.keys) + believed.keys.filter { desired[$0] == nil }
        return diff(keys, desired: desired, now: now, adds: includeAdds)
    }

    /// `plan`, over the elements marked dirty since the last commit (all of
    /// them after a reset): the same batch, at the cost of what changed.
    public func planChanges(desired: [PinholeKey: Pinhole], now: Instant, adds includeAdds: Bool = true) -> Plan {
        dirtyAll ? plan(desired: desired, now: now, adds: includeAdds)
            : diff(dirty, desired: desired, now: now, adds: includeAdds)
    }

    /// These elements' desired state changed (opened, refreshed, closed).
    public mutating func markDirty<S: Sequence>(_ keys: S) where S.Element == PinholeKey {
        dirty.formUnion(keys)
    }

    private func diff<S: Sequence>(_ keys: S, desired: [PinholeKey: Pinhole], now: Instant,
                                   adds includeAdds: Bool) -> Plan where S.Element == PinholeKey {
        var adds: [(key: PinholeKey, timeoutMs: UInt64)] = []
        var deletes: [PinholeKey] = []
        var after: [PinholeKey: Instant?] = [:]
        var unsettled = Set<PinholeKey>()
        for k in keys {
            if let p = desired[k] {
                guard believed[k] != p.expires else { continue }
                let ms = now.milliseconds(until: p.expires)
                // Due to expire (the timer closes it), or adds are not sent now.
                guard includeAdds, ms > 0 else { unsettled.insert(k); continue }
                adds.append((k, ms))
                after[k] = .some(p.expires)
            } else if believed[k] != nil {
                deletes.append(k)
                after[k] = .some(nil)
            }
        }
        // Only deferred deletes, none due: nothing worth a transaction yet.
        if adds.isEmpty, deletes.allSatisfy({ deferred[$0].map { now < $0 } == true }) {
            return Plan(adds: [], deletes: [], after: [:], unsettled: unsettled.union(deletes))
        }
        // Deterministic order: easier to read in logs and to test.
        adds.sort { $0.key.description < $1.key.description }
        deletes.sort { $0.description < $1.description }
        return Plan(adds: adds, deletes: deletes, after: after, unsettled: unsettled)
    }

    /// The kernel acknowledged the whole batch.
    /// Also for an empty plan: what it examined is settled.
    public mutating func committed(_ plan: Plan) {
        for (k, e) in plan.after { believed[k] = e }
        dirty = plan.unsettled
        dirtyAll = false
        for k in plan.deletes { deferred[k] = nil }
        for a in plan.adds { deferred[a.key] = nil }
    }

    /// The kernel most likely removed this element itself: a data connection
    /// used it, and `pinhole_check` deletes what it matches. Its delete (kept,
    /// in case the connection came some other way) then rides along with the
    /// next batch, or goes alone at `deadline`: a transfer costs one
    /// transaction instead of two.
    public mutating func deferDelete(_ key: PinholeKey, until deadline: Instant) {
        guard believed[key] != nil else { return }
        deferred[key] = deadline
    }

    /// When the earliest deferred delete falls due.
    public var nextDeferredDeadline: Instant? { deferred.values.min() }

    /// A batch failed or events were lost: believe only what a dump shows.
    public mutating func reset(toKernel elements: [KernelElement], now: Instant) {
        believed = [:]
        deferred = [:]
        dirty = []
        dirtyAll = true
        for e in elements {
            // Unknown expiry: a value no desired pinhole has, so it is rewritten.
            believed[e.key] = e.expiresInMs.map { now.adding(milliseconds: $0) } ?? Instant(nanoseconds: 0)
        }
    }
}
