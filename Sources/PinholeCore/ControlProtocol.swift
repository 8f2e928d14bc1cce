/// The control socket's wire format: one JSON request line from pinholectl,
/// one JSON response line from pinholed. Codable only; encoding is the
/// caller's (the core does no I/O).
public struct ControlRequest: Codable, Sendable, Equatable {
    public enum Command: String, Codable, Sendable { case list, status, flush }
    public var command: Command
    /// flush only: limit to one service.
    public var service: String?

    public init(command: Command, service: String? = nil) {
        self.command = command
        self.service = service
    }
}

public struct ControlResponse: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    public var pinholes: [PinholeInfo]?
    public var status: StatusInfo?
    /// flush: how many pinholes were closed.
    public var closed: Int?

    public init(ok: Bool, error: String? = nil, pinholes: [PinholeInfo]? = nil,
                status: StatusInfo? = nil, closed: Int? = nil) {
        self.ok = ok
        self.error = error
        self.pinholes = pinholes
        self.status = status
        self.closed = closed
    }
}

/// One object of `pinholectl list --json` (INTERFACE.md).
public struct PinholeInfo: Codable, Sendable, Equatable {
    public struct Session: Codable, Sendable, Equatable {
        public var client: String
        public var client_port: UInt16
        public var server: String
        public var server_port: UInt16
        public init(client: String, client_port: UInt16, server: String, server_port: UInt16) {
            self.client = client
            self.client_port = client_port
            self.server = server
            self.server_port = server_port
        }
    }

    public var service: String
    public var mode: PinholeMode
    public var family: IPFamily
    public var initiator: String
    public var responder: String
    public var port: UInt16
    public var session: Session
    /// RFC 3339, UTC.
    public var created: String
    public var expires_in: Double

    public init(service: String, mode: PinholeMode, family: IPFamily, initiator: String, responder: String,
                port: UInt16, session: Session, created: String, expires_in: Double) {
        self.service = service
        self.mode = mode
        self.family = family
        self.initiator = initiator
        self.responder = responder
        self.port = port
        self.session = session
        self.created = created
        self.expires_in = expires_in
    }
}

/// `pinholectl status --json` (INTERFACE.md, plus operational extras).
public struct StatusInfo: Codable, Sendable, Equatable {
    public var version: String
    public var uptime_seconds: Double
    public var policy_file: String
    public var policy_sha256: String
    public var sessions: Int
    public var pinholes_open: Int
    public var pinholes_opened: UInt64
    public var pinholes_used: UInt64
    public var pinholes_expired: UInt64
    public var pinholes_closed_with_session: UInt64
    public var pinholes_flushed: UInt64
    public var refused: [String: UInt64]
    /// Netlink event loss recovered by a full resync.
    public var resyncs: UInt64
    /// SYNs held in NFQUEUE while a pinhole was being committed (race guard).
    public var syns_held: UInt64
    public var syns_accepted: UInt64
    public var syns_dropped: UInt64
    /// Data SYNs the firewall dropped without queueing them (over the race
    /// guard's rate limits), since pinholed's table was created; nil without
    /// a race guard. Optional: older daemons lack it.
    public var syns_dropped_unqueued: UInt64?
    /// Of those, the ones over their source's own limit (one address, or an
    /// IPv6 /64): what scanners spent of their own share.
    public var syns_dropped_source_limit: UInt64?
    /// Announced again by their own session (a new deadline, not a new pinhole).
    public var pinholes_refreshed: UInt64?
    /// Every close by reason (every reason present): with `pinholes_open`,
    /// they add up to `pinholes_opened`. Optional: older daemons lack both.
    public var pinholes_closed: [String: UInt64]?
    /// Copy polling's looks at the copies (`--copy-interval-us`), and those
    /// that found copies waiting; nil with copy polling off. A look that
    /// finds none is a wakeup the copies did not need.
    public var copy_looks: UInt64?
    public var copy_looks_found: UInt64?
    /// Sessions given up at `limits.sessions` for a new connection because
    /// they had exchanged no byte (half-open: a SYN flood's). Optional: older
    /// daemons lack it.
    public var sessions_evicted: UInt64?

    public init(version: String, uptime_seconds: Double, policy_file: String, policy_sha256: String,
                sessions: Int, pinholes_open: Int, pinholes_opened: UInt64, pinholes_used: UInt64,
                pinholes_expired: UInt64, pinholes_closed_with_session: UInt64, pinholes_flushed: UInt64,
                refused: [String: UInt64], resyncs: UInt64, syns_held: UInt64, syns_accepted: UInt64,
                syns_dropped: UInt64, syns_dropped_unqueued: UInt64? = nil, syns_dropped_source_limit: UInt64? = nil,
                pinholes_refreshed: UInt64? = nil, pinholes_closed: [String: UInt64]? = nil,
                copy_looks: UInt64? = nil, copy_looks_found: UInt64? = nil, sessions_evicted: UInt64? = nil) {
        self.version = version
        self.uptime_seconds = uptime_seconds
        self.policy_file = policy_file
        self.policy_sha256 = policy_sha256
        self.sessions = sessions
        self.pinholes_open = pinholes_open
        self.pinholes_opened = pinholes_opened
        self.pinholes_used = pinholes_used
        self.pinholes_expired = pinholes_expired
        self.pinholes_closed_with_session = pinholes_closed_with_session
        self.pinholes_flushed = pinholes_flushed
        self.refused = refused
        self.resyncs = resyncs
        self.syns_held = syns_held
        self.syns_accepted = syns_accepted
        self.syns_dropped = syns_dropped
        self.syns_dropped_unqueued = syns_dropped_unqueued
        self.syns_dropped_source_limit = syns_dropped_source_limit
        self.pinholes_refreshed = pinholes_refreshed
        self.pinholes_closed = pinholes_closed
        self.copy_looks = copy_looks
        self.copy_looks_found = copy_looks_found
        self.sessions_evicted = sessions_evicted
    }
}
