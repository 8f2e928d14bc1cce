/// Monotonic counters for `pinholectl status`. Every pinhole opened (or
/// adopted at start-up) is open or closed for exactly one reason:
/// pinholesOpened == open + the sum of pinholesClosed.
public struct Counters: Sendable, Equatable {
    public var pinholesOpened: UInt64 = 0
    /// Announced again by its own session: not a new pinhole.
    public var pinholesRefreshed: UInt64 = 0
    public var pinholesClosed: [PinholeCloseReason: UInt64] = [:]
    public var pinholesUsed: UInt64 = 0
    public var pinholesExpired: UInt64 = 0
    public var pinholesClosedWithSession: UInt64 = 0
    public var pinholesFlushed: UInt64 = 0
    public var refused: [Refusal: UInt64] = [:]

    public init() {}

    mutating func count(_ reason: PinholeCloseReason) {
        pinholesClosed[reason, default: 0] += 1
        switch reason {
        case .used: pinholesUsed += 1
        case .expired: pinholesExpired += 1
        case .sessionClosed: pinholesClosedWithSession += 1
        case .flushed: pinholesFlushed += 1
        // Only in pinholesClosed (kernel_refused also as a refusal).
        case .replaced, .rejectedByServer, .policy, .kernelRefused: break
        }
    }

    /// Close counts keyed by their wire names, every reason present.
    public var closedByName: [String: UInt64] {
        var out: [String: UInt64] = [:]
        for r in PinholeCloseReason.allCases { out[r.rawValue] = pinholesClosed[r, default: 0] }
        return out
    }

    /// Refusal counts keyed by their wire names, every reason present.
    public var refusedByName: [String: UInt64] {
        var out: [String: UInt64] = [:]
        for r in Refusal.allCases { out[r.rawValue] = refused[r, default: 0] }
        return out
    }
}
