import Glibc
import Logging

/// systemd's journal, when stderr writes to it. A unit's stderr is a stream to
/// journald named by JOURNAL_STREAM=DEVICE:INODE (systemd.exec(5)), and a line
/// that starts with `<N>` there gets syslog priority N (sd-daemon(3)): so
/// `journalctl -p warning` and `systemctl status` see pinholed's levels.
/// Everything else (a terminal, a file, the tests) gets the lines unprefixed.
public enum JournalStream {
    /// Whether fd 2 is the stream JOURNAL_STREAM names. A redirect of stderr
    /// (`2>file`) keeps the variable, but not the device and inode.
    public static func isStderr() -> Bool {
        guard let value = getenv("JOURNAL_STREAM") else { return false }
        return names(descriptor: 2, String(cString: value))
    }

    /// Whether `value` ("DEVICE:INODE", both decimal) is `fd`'s device and inode.
    static func names(descriptor fd: Int32, _ value: String) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// The `<N>` prefix for a line at `level`.
    public static func prefix(_ level: Logger.Level) -> String { "<\(syslogPriority(level))>" }

    /// syslog(3)'s priorities: LOG_CRIT 2 ... LOG_DEBUG 7.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }
}
