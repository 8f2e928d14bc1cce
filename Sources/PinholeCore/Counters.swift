/// Monotonic counters for `pinholectl status`.
public struct Counters: Sendable, Equatable {
    public var pinholesOpened: UInt64 = 0
    public var pinholesUsed: UInt64 = 0
    public var pinholesExpired: UInt64 = 0
    public var pinholesClosedWithSession: UInt64 = 0
    public var pinholesFlushed: UInt64 = 0
    public var refused: [Refusal: UInt64] = [:]

    public init() {}

    mutating func count(_ reason: PinholeCloseReason) {
        switch reason {
        case .used: pinholesUsed += 1
        case .expired: pinholesExpired += 1
        case .sessionClosed: pinholesClosedWithSession += 1
        case .flushed: pinholesFlushed += 1
        case .replaced, .rejectedByServer, .policy: break  // logged with their reason, not counted
        case .kernelRefused: break  // counted as a refusal
        }
    }

    /// Refusal counts keyed by their wire names, every reason present.
    public var refusedByName: [String: UInt64] {
        var out: [String: UInt64] = [:]
        for r in Refusal.allCases { out[r.rawValue] = refused[r, default: 0] }
        return out
    }
}
