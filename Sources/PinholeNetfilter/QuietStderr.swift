import Glibc

/// Runs a libnftables call with file descriptor 2 pointed at /dev/null.
///
/// libnftables buffers its own output and errors, but to print the race
/// guard's xt NFQUEUE rule it calls libxtables, which writes
/// "libxtables: unhandled NFPROTO in xtables_set_nfproto" straight to
/// stderr (it knows no inet family). pinholed's stderr is its log, one line
/// per event. pinholed logs from one thread only, so nothing else writes
/// to fd 2 meanwhile.
enum QuietStderr {
    static func during<T>(_ body: () throws(NetfilterError) -> T) throws(NetfilterError) -> T {
        let saved = fcntl(2, F_DUPFD_CLOEXEC, 0)
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard saved >= 0, null >= 0, dup2(null, 2) >= 0 else {
            // Could not redirect: run it anyway, a stray line is the lesser harm.
            if saved >= 0 { close(saved) }
            if null >= 0 { close(null) }
            return try body()
        }
        close(null)
        defer {
            dup2(saved, 2)
            close(saved)
        }
        return try body()
    }
}
