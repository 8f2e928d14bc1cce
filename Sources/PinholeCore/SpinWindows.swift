/// One `SpinWindow` per `WaitKind`: how long the daemon busy-polls before it
/// sleeps depends on what it handled last. One shared window grew on the
/// short waits (after a 200, the client's next command; after a 227, the
/// data SYN) and was then spun out in full before the long ones (after RETR,
/// the 150 and the 226): in a long FTP session, a third of the daemon's CPU
/// went to spins that caught nothing. Per kind, the wait after RETR teaches
/// its own window to stay 0.
///
/// Two limits. While a data connection is being set up the daemon spins
/// the whole `--busy-poll-us`: a SYN that finds it asleep waits in the race
/// guard's queue. Otherwise a kind's window grows to a third of it at most:
/// what a catch saves is one wakeup of the daemon, and per kind at the whole
/// limit spun more, for no faster transfers (bench/README.md, "A spin
/// window per wait").
public struct SpinWindows: Sendable {
    /// The whole spin, for a data connection being set up; 0 turns spinning off.
    public let limitNanoseconds: UInt64
    /// The cap of every kind's learned window.
    public let learnedLimitMicroseconds: UInt32
    public private(set) var windows: [WaitKind: SpinWindow] = [:]
    /// Kinds beyond this many share the `.other` window (the table holds at
    /// most one more): a peer sending made-up commands must not grow it.
    public static let maxKinds = 64

    public init(limitMicroseconds: UInt32) {
        limitNanoseconds = UInt64(limitMicroseconds) * 1000
        learnedLimitMicroseconds = limitMicroseconds / 3
    }

    /// How long to spin before the wait that follows `kind`. None while no
    /// control session is open: the next event is then a new connection,
    /// which nothing predicts (in a curl loop, the next client's start-up).
    public func spin(after kind: WaitKind, sessionsOpen: Bool, dataConnectionExpected: Bool) -> UInt64 {
        guard sessionsOpen else { return 0 }
        if dataConnectionExpected { return limitNanoseconds }
        return windows[key(kind)]?.nanoseconds ?? 0
    }

    /// The daemon waited `waited` for its next event after `kind`.
    public mutating func record(waited: UInt64, after kind: WaitKind) {
        windows[key(kind), default: SpinWindow(limitMicroseconds: learnedLimitMicroseconds)].record(waited: waited)
    }

    private func key(_ kind: WaitKind) -> WaitKind {
        windows[kind] != nil || windows.count < SpinWindows.maxKinds ? kind : .other
    }
}
