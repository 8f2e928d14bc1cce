/// One `SpinWindow` per `WaitKind`: how long the daemon busy-polls before it
/// sleeps depends on what it handled last. One shared window grew on the
/// short waits (after a 200, the client's next command; after a 227, the
/// data SYN) and was then spun out in full before the long ones (after RETR,
/// the 150 and the 226): in a long FTP session, a third of the daemon's CPU
/// went to spins that caught nothing. Per kind, waits longer than the limit
/// keep only their own window at 0.
///
/// Every window grows up to the whole `--busy-poll-us`. What a catch saves
/// is a wakeup of the daemon, which on a VM costs the forwarding CPU about as
/// much as a command's trip; capped at a third, the windows missed the waits
/// of 70-110 µs after RETR and after the 150 of a LAN transfer, and transfers
/// inside one session took 11% longer (bench/FINDINGS.md, "Windows up to the
/// whole limit"). While a data connection is being set up the daemon spins
/// the whole limit without learning: a SYN that finds it asleep waits in the
/// race guard's queue.
public struct SpinWindows: Sendable {
    /// The longest spin, and every window's cap; 0 turns spinning off.
    public let limitMicroseconds: UInt32
    public private(set) var windows: [WaitKind: SpinWindow] = [:]
    /// Kinds beyond this many share the `.other` window (the table holds at
    /// most one more): a peer sending made-up commands must not grow it.
    public static let maxKinds = 64

    public init(limitMicroseconds: UInt32) {
        self.limitMicroseconds = limitMicroseconds
    }

    /// How long to spin before the wait that follows `kind`. None while no
    /// control session is open: the next event is then a new connection,
    /// which nothing predicts (in a curl loop, the next client's start-up).
    public func spin(after kind: WaitKind, sessionsOpen: Bool, dataConnectionExpected: Bool) -> UInt64 {
        guard sessionsOpen else { return 0 }
        if dataConnectionExpected { return UInt64(limitMicroseconds) * 1000 }
        return windows[key(kind)]?.nanoseconds ?? 0
    }

    /// The daemon waited `waited` for its next event after `kind`.
    public mutating func record(waited: UInt64, after kind: WaitKind) {
        windows[key(kind), default: SpinWindow(limitMicroseconds: limitMicroseconds)].record(waited: waited)
    }

    private func key(_ kind: WaitKind) -> WaitKind {
        windows[kind] != nil || windows.count < SpinWindows.maxKinds ? kind : .other
    }
}
