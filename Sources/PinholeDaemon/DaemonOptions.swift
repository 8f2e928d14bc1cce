import Logging

/// What the `pinholed` command line decides; the daemon takes nothing else.
public struct DaemonOptions: Sendable {
    public var policyPath: String
    /// Overrides the policy's `socket`.
    public var socketPath: String?
    public var logLevel: Logger.Level
    /// The event loop's longest busy-poll (see SpinWindow); 0 turns it off.
    public var busyPollMicroseconds: UInt32
    public static let defaultBusyPollMicroseconds: UInt32 = 150
    /// While a session is active and the race guard is on, look at the copies
    /// this often instead of being woken by each (see CopyPolling); 0: woken by each.
    /// Off by default: it saves CPU, but holds about five times as many data
    /// SYNs (bench/FINDINGS.md, "Copy polling").
    public var copyIntervalMicroseconds: UInt32
    public static let defaultCopyIntervalMicroseconds: UInt32 = 0
    /// Debug only: wait this long before committing pinholes (tests the race guard).
    public var debugCommitDelayMs: UInt32

    public init(policyPath: String, socketPath: String?, logLevel: Logger.Level,
                busyPollMicroseconds: UInt32 = DaemonOptions.defaultBusyPollMicroseconds,
                copyIntervalMicroseconds: UInt32 = DaemonOptions.defaultCopyIntervalMicroseconds,
                debugCommitDelayMs: UInt32 = 0) {
        self.policyPath = policyPath
        self.socketPath = socketPath
        self.logLevel = logLevel
        self.busyPollMicroseconds = busyPollMicroseconds
        self.copyIntervalMicroseconds = copyIntervalMicroseconds
        self.debugCommitDelayMs = debugCommitDelayMs
    }
}
