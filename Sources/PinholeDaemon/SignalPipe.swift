import Glibc

/// Signals as bytes on a pipe that the event loop polls (the self-pipe
/// trick): the handler only writes one byte, everything else happens on the
/// loop's thread.
final class SignalPipe {
    let readFD: Int32

    init(signals: [Int32]) throws(DaemonError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DaemonError.system("pipe", errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        signalPipeWriteFD = fds[1]
        for s in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = signalPipeHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(s, &action, nil)
        }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Signals received since the last call, in order.
    func drain() -> [Int32] {
        var out: [Int32] = []
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(readFD, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n].map { Int32($0) }
        }
        return out
    }
}

/// Written once before handlers are installed, then only read by them.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

private let signalPipeHandler: @convention(c) (Int32) -> Void = { sig in
    var b = UInt8(truncatingIfNeeded: sig)
    let saved = errno
    _ = write(signalPipeWriteFD, &b, 1)
    errno = saved
}
