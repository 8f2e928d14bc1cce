/// The whole pure state machine: copied control segments and conntrack events
/// in, pinhole opens/closes and refusals out. One owner, no locks, no I/O;
/// time is passed in.
public struct Inspector: Sendable {
    public internal(set) var policy: Policy
    var sessions: [ConnectionKey: Session] = [:]
    /// Open pinholes: what the kernel sets should hold.
    public internal(set) var pinholes: [PinholeKey: Pinhole] = [:]
    /// Pinholes opened, refreshed or closed since `takeChangedPinholes`:
    /// what the reconciler must look at (all of `pinholes` would cost every
    /// open pinhole per loop round).
    public internal(set) var changedPinholes: Set<PinholeKey> = []
    /// No open pinhole expires before this (nil: none open). A bound, kept
    /// on every open and refresh and made exact by each `expire` scan, so
    /// the daemon's every loop round need not scan all pinholes: at 4,700
    /// open ones, that cost about 1 ms per transfer.
    var expiryBound: Instant?
    public internal(set) var counters = Counters()
    var recentlyClosed = RecentlyClosed()
    /// Connections refused at the session limit, so that each is counted
    /// once, not once per copied segment or conntrack event.
    var overSessionLimit = RecentlyClosed()
    /// Quiet sessions, oldest first: given up at the session limit.
    var quietSessions = QuietSessions()
    /// Connections given up at the limit lately: their handshake segments
    /// (a re-sent SYN, a SYN/ACK copied late) open nothing; a byte does.
    var recentlyEvicted = RecentlyClosed()
    /// The last `Session.serial` handed out.
    var lastSessionSerial: UInt64 = 0
    /// When a client last asked for passive mode, and whether a final reply
    /// has answered a passive request since (see `expectsDataConnection`).
    public internal(set) var lastPassiveRequest: Instant?
    public internal(set) var lastPassiveRequestAnswered = false
    /// The session that sent the last passive request (see `passiveStandIn`);
    /// set with `lastPassiveRequest`.
    var lastPassiveRequestSession: ConnectionKey?
    /// When a pinhole was last opened or refreshed (see `expectsDataConnection`).
    public internal(set) var lastPinholeOpened: Instant?

    public init(policy: Policy) {
        self.policy = policy
    }

    public var sessionCount: Int { sessions.count }

    /// The pinholes changed since the last call (see `changedPinholes`).
    public mutating func takeChangedPinholes() -> Set<PinholeKey> {
        let changed = changedPinholes
        changedPinholes = []
        return changed
    }

    /// Whether a data connection is probably being set up right now: a
    /// client sent PASV/EPSV less than `passiveReplyWindowNanoseconds` ago and
    /// no reply has answered it yet (its 227/229, then the SYN, usually follow
    /// within tens of microseconds), or a pinhole opened less than
    /// `dataConnectionWindowNanoseconds` ago is still open. Once answered, the
    /// pinhole it opened speaks for it, and when that is used nothing more is
    /// coming: the daemon then spins by its adaptive window only (measured:
    /// the whole window after RETR, the 150 and the 226 was most of curl's
    /// wasted spinning). A pinhole older than that window no longer counts:
    /// its element is committed, so its SYN passes the kernel without us, and
    /// a firewall holding thousands of pinholes nobody has used yet would
    /// otherwise spin its whole window after every event (about 1 ms of CPU
    /// per transfer at 4,700). A hint for the daemon's busy-polling; nothing
    /// is decided on it, so one shared record for all sessions is enough (two
    /// sessions' requests interleaving can end it early: the cost is a
    /// wakeup, not a wrong decision).
    public func expectsDataConnection(now: Instant) -> Bool {
        if !pinholes.isEmpty, let t = lastPinholeOpened,
           Inspector.within(Inspector.dataConnectionWindowNanoseconds, of: t, now) {
            return true
        }
        guard let t = lastPassiveRequest, !lastPassiveRequestAnswered else { return false }
        return Inspector.within(Inspector.passiveReplyWindowNanoseconds, of: t, now)
    }

    /// Whether `now` is no earlier than `t` and less than `window` after it.
    private static func within(_ window: UInt64, of t: Instant, _ now: Instant) -> Bool {
        now.nanoseconds >= t.nanoseconds && now.nanoseconds - t.nanoseconds < window
    }

    /// The pinhole a reply to the passive request still awaiting one would
    /// open, on port 0: never opened, only built, so that the daemon can run
    /// the pinhole's path once before the reply comes (Daemon+Warmup). nil
    /// once a final reply answered it, or when its session is gone.
    public func passiveStandIn(now: Instant) -> Pinhole? {
        guard let sk = lastPassiveRequestSession, !lastPassiveRequestAnswered,
              let s = sessions[sk], let service = policy.service(named: s.service) else { return nil }
        return Pinhole(key: PinholeKey(initiator: sk.client, responder: sk.server, port: 0), service: s.service,
                       mode: .passive, session: sk, created: now,
                       expires: now.adding(milliseconds: service.pinholeTimeoutMs))
    }

    /// How long after a PASV/EPSV its reply is still expected "now".
    public static let passiveReplyWindowNanoseconds: UInt64 = 1_000_000
    /// How long after a pinhole opens its data connection is still expected
    /// "now": on a LAN the SYN follows the 227/229 by a round trip, well
    /// within it; a later SYN finds the pinhole's element in the kernel.
    public static let dataConnectionWindowNanoseconds: UInt64 = 1_000_000

    /// When the daemon's timer should next run `expire`: no pinhole expires
    /// earlier (a closed one may have been the earliest, which costs one
    /// early wakeup whose scan finds nothing and sets the exact time).
    public var nextExpiry: Instant? { expiryBound }

    /// Keeps `expiryBound` a bound for a pinhole opened, refreshed or adopted.
    mutating func noteExpiry(_ expires: Instant) {
        if let b = expiryBound, b <= expires { return }
        expiryBound = expires
    }

    /// The service a control connection to `server:port` belongs to.
    func service(server: IPAddress, port: UInt16) -> Service? {
        policy.services.first { $0.controlPort == port && $0.hasServer(server) }
    }

    /// Orients a packet or flow as a control connection, if it is one.
    func controlConnection(source: IPAddress, sourcePort: UInt16, destination: IPAddress,
                           destinationPort: UInt16) -> (ConnectionKey, Service, fromClient: Bool)? {
        if let svc = service(server: destination, port: destinationPort) {
            return (ConnectionKey(client: source, clientPort: sourcePort, server: destination,
                                  serverPort: destinationPort), svc, true)
        }
        if let svc = service(server: source, port: sourcePort) {
            return (ConnectionKey(client: destination, clientPort: destinationPort, server: source,
                                  serverPort: sourcePort), svc, false)
        }
        return nil
    }

    /// Starts tracking a control connection unless the global limit is hit
    /// and no quiet session can make room. `quiet`: no byte exchanged yet
    /// (opened by conntrack's NEW or a segment without payload).
    mutating func openSession(_ key: ConnectionKey, service: Service, midstream: Bool, quiet: Bool,
                              events: inout [InspectorEvent]) -> Bool {
        if sessions[key] != nil { return true }
        // Down to the limit, not one under the count: a reload may have lowered it.
        while sessions.count >= policy.limits.sessions, evictQuietSession(events: &events) {}
        guard sessions.count < policy.limits.sessions else {
            guard !overSessionLimit.contains(key) else { return false }
            overSessionLimit.insert(key)
            let n = counters.refused[.globalLimit, default: 0] + 1
            counters.refused[.globalLimit] = n
            // No session to remember this in: `first` marks the first ever;
            // the daemon's log throttles these by time (WarningThrottle).
            events.append(.refused(session: key, service: service.name, reason: .globalLimit,
                                   detail: "session limit \(policy.limits.sessions) reached (\(n) refusals)",
                                   first: n == 1))
            return false
        }
        overSessionLimit.remove(key)
        recentlyEvicted.remove(key)
        lastSessionSerial += 1
        sessions[key] = Session(key: key, service: service.name, midstream: midstream, quiet: quiet,
                                serial: lastSessionSerial)
        if quiet { quietSessions.append(key, serial: lastSessionSerial, sessions: sessions) }
        events.append(.sessionOpened(session: key, service: service.name, midstream: midstream))
        return true
    }

    /// Makes room at the session limit by giving up the oldest session that
    /// has exchanged no byte; false when every session has. It is not
    /// remembered as closed: if it was a real client's after all, its next
    /// byte picks it up again mid-session (which costs its first line each
    /// way). Its handshake segments do not (`recentlyEvicted`).
    mutating func evictQuietSession(events: inout [InspectorEvent]) -> Bool {
        guard let key = quietSessions.popOldest(in: sessions),
              let s = sessions.removeValue(forKey: key) else { return false }
        recentlyEvicted.insert(key)
        counters.sessionsEvicted += 1
        events.append(.sessionClosed(session: key, service: s.service, reason: .evicted))
        return true
    }

    mutating func closeSession(_ key: ConnectionKey, reason: SessionCloseReason, events: inout [InspectorEvent]) {
        guard let s = sessions.removeValue(forKey: key) else { return }
        recentlyClosed.insert(key)
        let pinholeReason: PinholeCloseReason
        switch reason {
        case .policy: pinholeReason = .policy
        case .flushed: pinholeReason = .flushed
        default: pinholeReason = .sessionClosed
        }
        for k in s.pinholes { closePinhole(k, reason: pinholeReason, events: &events) }
        events.append(.sessionClosed(session: key, service: s.service, reason: reason))
    }

    /// Counts a refusal and reports it; `first` lets the daemon log once per session.
    mutating func refuse(_ key: ConnectionKey, _ reason: Refusal, _ detail: String, events: inout [InspectorEvent]) {
        counters.refused[reason, default: 0] += 1
        var first = true
        if var s = sessions[key] {
            first = s.refusalsSeen.insert(reason).inserted
            sessions[key] = s
            events.append(.refused(session: key, service: s.service, reason: reason, detail: detail, first: first))
        } else {
            events.append(.refused(session: key, service: "", reason: reason, detail: detail, first: first))
        }
    }
}
