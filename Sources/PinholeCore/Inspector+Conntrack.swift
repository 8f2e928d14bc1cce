extension Inspector {
    /// A conntrack event: control connections open and close sessions; a new
    /// data connection on a pinhole's tuple marks it used.
    public mutating func handle(conntrack e: ConntrackEvent, now: Instant) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        if let svc = service(server: e.destination, port: e.destinationPort) {
            let key = ConnectionKey(client: e.source, clientPort: e.sourcePort, server: e.destination,
                                    serverPort: e.destinationPort)
            switch e.kind {
            case .new:
                recentlyClosed.remove(key)
                if e.tcpState?.isClosing != true {
                    _ = openSession(key, service: svc, midstream: false, events: &events)
                }
            case .existing:
                if e.tcpState?.isClosing == true || recentlyClosed.contains(key) {
                    closeSession(key, reason: .conntrackClosed, events: &events)
                } else {
                    _ = openSession(key, service: svc, midstream: true, events: &events)
                }
            case .update:
                if e.tcpState?.isClosing == true { closeSession(key, reason: .conntrackClosed, events: &events) }
            case .destroy:
                closeSession(key, reason: .conntrackClosed, events: &events)
            }
            return events
        }
        if e.kind == .new {
            let pk = PinholeKey(initiator: e.source, responder: e.destination, port: e.destinationPort)
            if pinholes[pk] != nil { closePinhole(pk, reason: .used, events: &events) }
        }
        return events
    }

    /// After lost events or a restart: `dump` is every TCP conntrack entry now.
    /// Sessions no longer there close; ones we did not know are picked up
    /// mid-session (untrusted until their next line start).
    public mutating func resync(dump: [ConntrackEvent], now: Instant) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        var live = Set<ConnectionKey>()
        for e in dump {
            guard service(server: e.destination, port: e.destinationPort) != nil,
                  e.tcpState?.isClosing != true else { continue }
            live.insert(ConnectionKey(client: e.source, clientPort: e.sourcePort, server: e.destination,
                                      serverPort: e.destinationPort))
        }
        for key in sessions.keys where !live.contains(key) {
            closeSession(key, reason: .gone, events: &events)
        }
        for e in dump where e.tcpState?.isClosing != true {
            var existing = e
            existing.kind = .existing
            events += handle(conntrack: existing, now: now)
        }
        return events
    }

    /// Restart: elements found in the kernel sets. A pinhole whose control
    /// session is live again (passive: client -> server; active: server ->
    /// client) is adopted with its remaining timeout; the rest are left out,
    /// so reconciliation deletes them.
    public mutating func adopt(elements: [(key: PinholeKey, expiresInMs: UInt64?)], now: Instant) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        for (pk, remaining) in elements where pinholes[pk] == nil {
            let candidates = sessions.keys.filter {
                ($0.client == pk.initiator && $0.server == pk.responder) ||
                    ($0.server == pk.initiator && $0.client == pk.responder)
            }.sorted { ($0.clientPort, $0.serverPort) < ($1.clientPort, $1.serverPort) }
            guard let sk = candidates.first, let svc = service(server: sk.server, port: sk.serverPort) else { continue }
            let mode: PinholeMode = sk.client == pk.initiator ? .passive : .active
            guard mode == .passive ? svc.passive : svc.active, svc.dataPorts.contains(pk.port),
                  svc.allowsClient(sk.client) else { continue }
            let ms = min(remaining ?? svc.pinholeTimeoutMs, svc.pinholeTimeoutMs)
            sessions[sk]!.pinholes.append(pk)
            let p = Pinhole(key: pk, service: svc.name, mode: mode, session: sk, created: now,
                            expires: now.adding(milliseconds: ms))
            pinholes[pk] = p
            events.append(.pinholeOpened(p))
        }
        return events
    }
}
