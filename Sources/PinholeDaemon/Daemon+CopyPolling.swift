import Glibc
import PinholeCore
import PinholeNetfilter

/// The loop's sleep after its spin (see CopyPolling): while a session is
/// active and the race guard is on, the copies are left out of what wakes
/// the daemon, and it looks at them every so often instead.
extension Daemon {
    /// Sleeps until an event or the next deadline. Returns poll(2)'s count.
    func sleepForEvents(_ fds: inout [pollfd]) -> Int32 {
        // Off (the default): the plain sleep, with nothing computed twice.
        guard copyPolling.intervalNanoseconds > 0 else { return poll(&fds, nfds_t(fds.count), pollTimeoutMs()) }
        let deadline = SystemClock.now().adding(milliseconds: UInt64(pollTimeoutMs()))
        var now = SystemClock.now()
        while let look = copyPolling.nextLook(now: now, lastCopy: lastCopyAt, sessionsOpen: inspector.sessionCount > 0,
                                              raceGuarded: queue != nil) {
            guard now < deadline else { return 0 }
            let n = sleepLeavingCopiesOut(&fds, nanoseconds: min(look, deadline.nanoseconds - now.nanoseconds))
            if n != 0 { return n }
            now = SystemClock.now()
        }
        // Quiet past the horizon, or the session ended: a copy wakes us again.
        return poll(&fds, nfds_t(fds.count), pollTimeoutMs())
    }

    /// One look: sleep with NFLOG's descriptor left out (poll(2) skips a
    /// negative one), then poll everything once without waiting. Counted for
    /// `status`: how often it looked, and how often copies were waiting.
    private func sleepLeavingCopiesOut(_ fds: inout [pollfd], nanoseconds: UInt64) -> Int32 {
        let nflogFD = nflog.fileDescriptor
        guard let i = fds.firstIndex(where: { $0.fd == nflogFD }) else {
            return PreciseSleep.poll(&fds, timeoutNanoseconds: nanoseconds)
        }
        fds[i].fd = -1
        let n = PreciseSleep.poll(&fds, timeoutNanoseconds: nanoseconds)
        fds[i].fd = nflogFD
        guard n >= 0 else { return n }
        let ready = poll(&fds, nfds_t(fds.count), 0)
        stats.copyLooks += 1
        if ready > 0, fds[i].revents & Int16(POLLIN) != 0 { stats.copyLooksFound += 1 }
        return ready
    }
}
