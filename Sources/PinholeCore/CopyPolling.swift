/// When the daemon, done spinning, sleeps without letting the copies wake it,
/// and for how long before it looks at them again.
///
/// Each copy that wakes a sleeping daemon costs the CPU that forwards the
/// packet the wakeup of a halted CPU: 11-13 µs on the benchmark VM, where a
/// whole transfer inside one session takes 350-450 µs and copies 7 segments
/// (bench/FINDINGS.md, "The forwarding CPU's time", "Copy polling"). While the
/// race guard is on, no copy needs the daemon at once: a data SYN that comes
/// before its pinhole is held in the guard's queue, the queue wakes the
/// daemon, and it reads the copies before it answers (the 227/229 is there
/// by causality). So while a control session is active the daemon leaves the
/// copies out of what wakes it and looks every `intervalNanoseconds`, then
/// less often as a gap grows (as long again as the gap so far, at most
/// `maxIntervalNanoseconds`), and after `horizonNanoseconds` without a copy
/// it sleeps until one wakes it: a quiet firewall does not tick.
///
/// Without the guard (an `attach` policy, or no service enforcing) a SYN
/// that beats its pinhole is dropped, so every copy wakes the daemon.
///
/// Off by default (`--copy-interval-us 0`): at 100 µs it took a sixth of
/// the daemon's CPU and a third inside long sessions, left the medians as
/// they were, but held one data SYN in 10-13 against one in 60-70, each a
/// wakeup and a cold path on the client's way (bench/FINDINGS.md, "Copy polling").
public struct CopyPolling: Sendable {
    /// The first looks' spacing; 0 turns copy polling off.
    public let intervalNanoseconds: UInt64
    /// Looks that are this many intervals after the last copy are still one interval apart.
    public static let steadyIntervals: UInt64 = 4
    public static let maxIntervalNanoseconds: UInt64 = 2_000_000
    public static let horizonNanoseconds: UInt64 = 20_000_000

    public init(intervalMicroseconds: UInt32) {
        intervalNanoseconds = UInt64(intervalMicroseconds) * 1000
    }

    /// How long to sleep, copies left out, before looking at them; nil:
    /// sleep until a copy (or anything else) wakes the daemon.
    /// `lastCopy` is when the daemon last read a copy.
    public func nextLook(now: Instant, lastCopy: Instant, sessionsOpen: Bool, raceGuarded: Bool) -> UInt64? {
        guard intervalNanoseconds > 0, raceGuarded, sessionsOpen, lastCopy <= now else { return nil }
        let gap = now.nanoseconds - lastCopy.nanoseconds
        guard gap < CopyPolling.horizonNanoseconds else { return nil }
        guard gap > CopyPolling.steadyIntervals * intervalNanoseconds else { return intervalNanoseconds }
        return max(intervalNanoseconds, min(gap, CopyPolling.maxIntervalNanoseconds))
    }
}
