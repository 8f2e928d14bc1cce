/// At most one warning per interval for an event that comes in floods
/// (a session given up at the limit, a connection refused at it), each
/// warning saying how many came since the last. Time, not a lifetime count,
/// decides: the first event after a quiet interval always warns, so a second
/// flood hours after the first is as visible as the first.
public struct WarningThrottle: Sendable {
    public let intervalNanoseconds: UInt64
    private var lastWarning: Instant?
    private var sinceWarning: UInt64 = 0

    public init(intervalNanoseconds: UInt64 = 10_000_000_000) {
        self.intervalNanoseconds = intervalNanoseconds
    }

    /// Counts one event at `now`. Returns nil when it is to be a debug line,
    /// else how many events came since the last warning, this one included.
    public mutating func note(at now: Instant) -> UInt64? {
        sinceWarning += 1
        if let last = lastWarning, now.nanoseconds >= last.nanoseconds,
           now.nanoseconds - last.nanoseconds < intervalNanoseconds {
            return nil
        }
        lastWarning = now
        defer { sinceWarning = 0 }
        return sinceWarning
    }
}
