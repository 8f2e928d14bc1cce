/// Paces kernel batches after failures that could not be pinned on one
/// element (those are refused and the rest retried at once). Without it a
/// failing batch is retried, with a full resync, on every loop round.
/// Deletes keep going while adds wait: a pinhole must close when its session
/// does. Only when a batch of deletes alone fails too do they wait as well.
public struct BatchBackoff: Sendable, Equatable {
    public static let firstDelayMs: UInt64 = 100
    /// The daemon's loop wakes at least every second, so a retry is at most
    /// that late; the cap bounds how long new pinholes wait once the kernel
    /// takes batches again.
    public static let maxDelayMs: UInt64 = 2000

    /// Failures in a row.
    public private(set) var failures = 0
    /// No batch with adds (or, after `deletesFailed`, none at all) before this.
    public private(set) var retryAt: Instant?
    public private(set) var deletesFailed = false

    public init() {}

    /// Whether a batch with (or without) adds may be tried now.
    public func allows(adds: Bool, now: Instant) -> Bool {
        guard let retryAt, now < retryAt else { return true }
        return !adds && !deletesFailed
    }

    /// A batch failed after its resync and retry: wait 100 ms, doubling to 2 s.
    public mutating func failed(now: Instant, deletesOnly: Bool) {
        let delay = min(Self.firstDelayMs << UInt64(min(failures, 16)), Self.maxDelayMs)
        failures += 1
        retryAt = now.adding(milliseconds: delay)
        if deletesOnly { deletesFailed = true }
    }

    /// The kernel took a batch: a full one ends the back-off, deletes alone
    /// only let deletes go again.
    public mutating func committed(deletesOnly: Bool) {
        if deletesOnly {
            deletesFailed = false
        } else {
            self = BatchBackoff()
        }
    }
}
