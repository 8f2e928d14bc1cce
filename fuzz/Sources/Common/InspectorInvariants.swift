/// The rules every state of the inspector must satisfy, checked with
/// `precondition` so a violation crashes and libFuzzer keeps the input.
///
/// The fuzz targets are compiled in one module with Sources/PinholeCore, so
/// the internal session table is visible here; the public checks come first.
enum InspectorInvariants {
    static func check(_ i: Inspector) {
        let limits = i.policy.limits
        require(i.sessionCount <= limits.sessions, "sessions \(i.sessionCount) > limit \(limits.sessions)")
        require(i.pinholes.count <= limits.pinholes, "pinholes \(i.pinholes.count) > limit \(limits.pinholes)")
        let live = Set(i.sessionKeys())
        var perSession: [ConnectionKey: Int] = [:]
        for (key, p) in i.pinholes {
            require(p.key == key, "pinhole stored under another key: \(key) holds \(p.key)")
            checkRules(p, policy: i.policy)
            require(live.contains(p.session), "pinhole \(key) outlives its session \(p.session)")
            require(p.created <= p.expires, "pinhole \(key) expires before it was created")
            perSession[p.session, default: 0] += 1
        }
        for (session, n) in perSession {
            require(n <= limits.pinholesPerSession,
                         "session \(session) holds \(n) pinholes > limit \(limits.pinholesPerSession)")
        }
        checkSessionTable(i)
        // The daemon's timer wakes no later than the earliest expiry.
        if let earliest = i.pinholes.values.map(\.expires).min() {
            require(i.nextExpiry.map { $0 <= earliest } == true, "nextExpiry \(String(describing: i.nextExpiry)) after \(earliest)")
        }
        // Every pinhole opened is open, or closed for exactly one counted reason.
        let closed = i.counters.pinholesClosed.values.reduce(0, +)
        require(i.counters.pinholesOpened == UInt64(i.pinholes.count) + closed,
                "counters: opened \(i.counters.pinholesOpened) != open \(i.pinholes.count) + closed \(closed)")
    }

    /// Passive: client -> server; active: server -> client; the port in the
    /// service's data_ports and >= 1024; mode and client allowed.
    static func checkRules(_ p: Pinhole, policy: Policy) {
        let s = p.session
        guard let svc = policy.services.first(where: { $0.controlPort == s.serverPort && $0.hasServer(s.server) })
        else { require(false, "pinhole \(p.key) for \(s), which no service covers"); return }
        require(svc.name == p.service, "pinhole \(p.key) labelled \(p.service), session belongs to \(svc.name)")
        require(svc.allowsClient(s.client), "pinhole \(p.key) for client \(s.client) not in \(svc.name)")
        require(p.key.port >= 1024, "pinhole \(p.key) on privileged port")
        require(svc.dataPorts.contains(p.key.port), "pinhole \(p.key) outside data_ports \(svc.dataPorts)")
        switch p.mode {
        case .passive:
            require(svc.passive, "passive pinhole \(p.key) but passive is off for \(svc.name)")
            require(p.key.initiator == s.client && p.key.responder == s.server,
                         "passive pinhole \(p.key) is not client -> server of \(s)")
        case .active:
            require(svc.active, "active pinhole \(p.key) but active is off for \(svc.name)")
            require(p.key.initiator == s.server && p.key.responder == s.client,
                         "active pinhole \(p.key) is not server -> client of \(s)")
        }
    }

    /// Internal bookkeeping: each session's pinhole list matches the pinhole
    /// table both ways, and the per-session queues stay bounded.
    private static func checkSessionTable(_ i: Inspector) {
        var listed = 0
        for (key, s) in i.sessions {
            require(s.key == key, "session stored under another key")
            require(Set(s.pinholes).count == s.pinholes.count, "session \(key) lists a pinhole twice")
            for pk in s.pinholes {
                require(i.pinholes[pk]?.session == key, "session \(key) lists \(pk), which it does not own")
            }
            listed += s.pinholes.count
            require(s.outstanding.count <= Session.maxOutstanding, "session \(key) request queue unbounded")
            // At the session limit every evictable session can be given up.
            require(!s.isEvictable || i.quietSessions.holds(key, serial: s.serial),
                    "quiet session \(key) is not in the eviction queue")
        }
        require(i.quietSessions.count <= 2 * i.policy.limits.sessions + 64,
                "eviction queue \(i.quietSessions.count) entries for at most \(i.policy.limits.sessions) sessions")
        require(listed == i.pinholes.count, "pinholes not listed by their session: \(listed) vs \(i.pinholes.count)")
    }
}

/// What the daemon believes from the events alone. It must always equal the
/// inspector's own state, or the kernel sets would drift from it.
struct EventMirror {
    private(set) var pinholes: [PinholeKey: Pinhole] = [:]
    private(set) var sessions: Set<ConnectionKey> = []

    mutating func apply(_ events: [InspectorEvent]) {
        for e in events {
            switch e {
            case .sessionOpened(let k, _, _):
                require(sessions.insert(k).inserted, "sessionOpened for open session \(k)")
            case .sessionClosed(let k, _, let reason):
                require(sessions.remove(k) != nil, "sessionClosed for unknown session \(k)")
                require(reason != .evicted || !pinholes.values.contains { $0.session == k },
                        "evicted session \(k) held a pinhole")
            case .pinholeOpened(let p):
                require(pinholes[p.key] == nil, "pinholeOpened for open pinhole \(p.key)")
                pinholes[p.key] = p
            case .pinholeRefreshed(let p):
                require(pinholes[p.key] != nil, "pinholeRefreshed for unknown pinhole \(p.key)")
                pinholes[p.key] = p
            case .pinholeShortened(let p):
                require(pinholes[p.key].map { p.expires < $0.expires } == true, "pinholeShortened for \(p.key) not shorter")
                pinholes[p.key] = p
            case .pinholeClosed(let p, _):
                require(pinholes.removeValue(forKey: p.key) == p, "pinholeClosed for \(p.key) not as opened")
            case .refused:
                break
            }
        }
    }

    func check(against i: Inspector) {
        require(pinholes == i.pinholes, "events and inspector disagree on pinholes")
        require(sessions == Set(i.sessionKeys()), "events and inspector disagree on sessions")
    }
}
