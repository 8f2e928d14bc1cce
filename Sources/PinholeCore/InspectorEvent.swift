/// What the inspector tells the daemon: every variant is one log line, and
/// pinhole opens and closes also change what the kernel should hold.
public enum InspectorEvent: Sendable, Equatable {
    case sessionOpened(session: ConnectionKey, service: String, midstream: Bool)
    case sessionClosed(session: ConnectionKey, service: String, reason: SessionCloseReason)
    case pinholeOpened(Pinhole)
    /// The same session announced the same tuple again: a new deadline.
    case pinholeRefreshed(Pinhole)
    /// A reload's shorter `pinhole_timeout` brought its deadline closer.
    case pinholeShortened(Pinhole)
    case pinholeClosed(Pinhole, reason: PinholeCloseReason)
    /// `first` is true the first time this reason is seen in this session, so
    /// the daemon can log once per session while counting every occurrence.
    case refused(session: ConnectionKey, service: String, reason: Refusal, detail: String, first: Bool)
}

public enum SessionCloseReason: String, Sendable, Equatable {
    case fin, rst
    /// conntrack reported the TCP state leaving ESTABLISHED, or the entry went away.
    case conntrackClosed = "conntrack"
    /// Not in a conntrack dump after a resync or restart.
    case gone
    /// The service or client is no longer allowed by a reloaded policy.
    case policy
    case flushed
    /// A new connection (SYN/ACK, or conntrack NEW) took over the same ports.
    case reused
    /// Given up at the session limit for a new connection: it had exchanged
    /// no byte yet (a SYN flood's half-open connections look like this).
    case evicted
}

public enum PinholeCloseReason: String, Sendable, Equatable, CaseIterable {
    /// The data connection was established through it.
    case used
    case expired
    /// The control connection closed.
    case sessionClosed = "session_closed"
    /// Another session negotiated the same tuple; the newest owns it.
    case replaced
    /// The server refused the PORT/EPRT it was opened for, or the transfer
    /// command that was to use it (it will not connect).
    case rejectedByServer = "rejected_by_server"
    case policy
    case flushed
    /// The kernel would not take its set element (counted as refusal `kernel_refused`).
    case kernelRefused = "kernel_refused"
}
