/// Monotonic counters for `pinholectl status`. Every pinhole opened (or
/// adopted at start-up) is open or closed for exactly one reason:
/// pinholesOpened == open + the sum of pinholesClosed.
public struct Counters: Sendable, Equatable {
    public var pinholesOpened: UInt64 = 0
    /// Announced again by its own session: not a new pinhole.
    public var pinholesRefreshed: UInt64 = 0
    public private(set) var pinholesClosed: [PinholeCloseReason: UInt64] = [:]
    public var refused: [Refusal: UInt64] = [:]
    /// Quiet sessions given up at the session limit for a new connection.
    public var sessionsEvicted: UInt64 = 0

    public init() {}

    mutating func count(_ reason: PinholeCloseReason) {
        pinholesClosed[reason, default: 0] += 1
    }

    // The closes INTERFACE.md's status names one by one.
    public var pinholesUsed: UInt64 { pinholesClosed[.used, default: 0] }
    public var pinholesExpired: UInt64 { pinholesClosed[.expired, default: 0] }
    public var pinholesClosedWithSession: UInt64 { pinholesClosed[.sessionClosed, default: 0] }
    public var pinholesFlushed: UInt64 { pinholesClosed[.flushed, default: 0] }

    /// Close counts keyed by their wire names, every reason present.
    public var closedByName: [String: UInt64] { Counters.byName(pinholesClosed) }

    /// Refusal counts keyed by their wire names, every reason present.
    public var refusedByName: [String: UInt64] { Counters.byName(refused) }

    private static func byName<R>(_ counts: [R: UInt64]) -> [String: UInt64]
    where R: CaseIterable & RawRepresentable & Hashable, R.RawValue == String {
        var out: [String: UInt64] = [:]
        for r in R.allCases { out[r.rawValue] = counts[r, default: 0] }
        return out
    }
}
