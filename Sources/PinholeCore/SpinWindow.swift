/// How long the daemon busy-polls its sockets after a round before it sleeps
/// in poll(2). Waking a sleeping thread costs the CPU that forwards the packet
/// an inter-processor interrupt (on a VM, also an exit), about as much as a
/// whole FTP command's trip through the firewall. Inside an FTP exchange the
/// next copy usually comes within tens of microseconds, so a short spin
/// catches it without that cost.
///
/// The rule is the guest cpuidle-haltpoll governor's
/// (drivers/cpuidle/governors/haltpoll.c, adjust_poll_limit), applied to one
/// thread: after sleeping, grow the window if the wait was shorter than
/// `limit`, halve it if longer. An idle firewall shrinks it to zero and never
/// spins; each round spins at most `limit`. The daemon keeps one per kind of
/// wait (`SpinWindows`).
public struct SpinWindow: Sendable {
    /// The longest spin, and the longest wait worth spinning for; 0 turns spinning off.
    public let limitNanoseconds: UInt64
    /// How long the next spin lasts.
    public private(set) var nanoseconds: UInt64 = 0
    /// The first step up from 0 (haltpoll's guest_halt_poll_grow_start is 50 µs).
    public static let growStartNanoseconds: UInt64 = 10_000

    public init(limitMicroseconds: UInt32) {
        limitNanoseconds = UInt64(limitMicroseconds) * 1000
    }

    /// The daemon waited `waited` for its next event: spun, then slept if
    /// nothing came. A wait the spin covered changes nothing.
    public mutating func record(waited: UInt64) {
        guard waited > nanoseconds else { return }
        if waited <= limitNanoseconds {
            nanoseconds = min(limitNanoseconds, max(SpinWindow.growStartNanoseconds, nanoseconds &* 2))
        } else {
            nanoseconds /= 2
            if nanoseconds < SpinWindow.growStartNanoseconds { nanoseconds = 0 }
        }
    }
}
