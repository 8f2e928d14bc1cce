/// How long the daemon busy-polls its sockets after a round before it sleeps
/// in poll(2): the whole limit while a data connection is being set up, not
/// at all otherwise.
///
/// While a client's PASV/EPSV waits for its reply, or a pinhole for its
/// connection, the 227/229 and then the data SYN come within tens of
/// microseconds, and a SYN that beats its pinhole waits in the race guard's
/// queue until the daemon has read the reply: catching both awake is what
/// spinning is for. Between those moments the next event is a client's or a
/// server's next move, which nothing here predicts. Spinning for those too
/// (the guest cpuidle-haltpoll governor's adaptive window, until 2026-12)
/// spared the forwarding CPU some wakeups but cost 0.3-0.4 ms of CPU per
/// transfer, for 0-2% of a pinned one-session transfer's time and nothing
/// measurable in curl's or free (bench/README.md, "Spinning only for a data
/// connection").
public struct SpinWindow: Sendable {
    /// The spin; 0 turns spinning off.
    public let limitNanoseconds: UInt64

    public init(limitMicroseconds: UInt32) {
        limitNanoseconds = UInt64(limitMicroseconds) * 1000
    }

    /// How long to spin before this wait. None while no control session is
    /// open: the next event is then a new connection (in a curl loop, the
    /// next client's start-up).
    public func spin(sessionsOpen: Bool, dataConnectionExpected: Bool) -> UInt64 {
        sessionsOpen && dataConnectionExpected ? limitNanoseconds : 0
    }
}
