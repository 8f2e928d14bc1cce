import CNetfilter
import Glibc

/// The event loop's sleeps shorter than poll(2)'s millisecond (`CopyPolling`).
/// Here because this is the module that calls the C shims.
public enum PreciseSleep {
    /// poll(2) with a timeout in nanoseconds (ppoll(2), no signal mask).
    public static func poll(_ fds: inout [pollfd], timeoutNanoseconds: UInt64) -> Int32 {
        cnf_poll_ns(&fds, UInt(fds.count), Int64(clamping: timeoutNanoseconds))
    }

    /// How late the kernel may end the calling thread's sleeps, to batch
    /// wakeups (PR_SET_TIMERSLACK; the default is 50 µs).
    public static func setTimerSlack(nanoseconds: UInt) throws(NetfilterError) {
        guard cnf_set_timer_slack_ns(nanoseconds) == 0 else { throw .fromErrno("set timer slack") }
    }
}
