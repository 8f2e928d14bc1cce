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

    public struct Plan: Sendable, Equatable {
        /// Elements to (re)write with their timeout in milliseconds. Re-adding
        /// an existing element refreshes its timeout.
        public var adds: [(key: PinholeKey, timeoutMs: UInt64)]
        public var deletes: [PinholeKey]
        /// What `believed` becomes once the batch is acknowledged.
        fileprivate var after: [PinholeKey: Instant]

        static let empty = Plan(adds: [], deletes: [], after: [:])

        public var isEmpty: Bool { adds.isEmpty && deletes.isEmpty }

        public static func == (a: Plan, b: Plan) -> Bool {
            a.adds.map(\.key) == b.adds.map(\.key) && a.adds.map(\.timeoutMs) == b.adds.map(\.timeoutMs)
                && a.deletes == b.deletes
        }
    }

    /// The batch that makes the kernel match `desired`. Elements the kernel
    /// removed itself (used one-shot, timed out) are deleted idempotently.
    /// Without `adds`, only the deletes: a close must not wait on adds the
    /// kernel refuses.
    public func plan(desired: [PinholeKey: Pinhole], now: Instant, adds includeAdds: Bool = true) -> Plan {
        var adds: [(key: PinholeKey, timeoutMs: UInt64)] = []
        var deletes: [PinholeKey] = []
        var after = believed
        for (k, p) in desired where includeAdds && believed[k] != p.expires {
            let ms = now.milliseconds(until: p.expires)
            guard ms > 0 else { continue }  // due to expire; the timer closes it
            adds.append((k, ms))
            after[k] = p.expires
        }
        for k in believed.keys where desired[k] == nil {
            deletes.append(k)
            after[k] = nil
        }
        // Only deferred deletes, none due: nothing worth a transaction yet.
        if adds.isEmpty, deletes.allSatisfy({ deferred[$0].map { now < $0 } == true }) {
            var plan = Plan.empty
            plan.after = believed
            return plan
        }
        // Deterministic order: easier to read in logs and to test.
        adds.sort { $0.key.description < $1.key.description }
        deletes.sort { $0.description < $1.description }
        return Plan(adds: adds, deletes: deletes, after: after)
    }

    /// The kernel acknowledged the whole batch.
    public mutating func committed(_ plan: Plan) {
        believed = plan.after
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
        for e in elements {
            // Unknown expiry: a value no desired pinhole has, so it is rewritten.
            believed[e.key] = e.expiresInMs.map { now.adding(milliseconds: $0) } ?? Instant(nanoseconds: 0)
        }
    }
}
