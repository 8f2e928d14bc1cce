extension Inspector {
    /// A conntrack event: control connections open and close sessions; a new
    /// data connection on a pinhole's tuple marks it used.
    public mutating func handle(conntrack e: ConntrackEvent, now: Instant) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        if let svc = service(server: e.destination, port: e.destinationPort) {
            let key = ConnectionKey(client: e.source, clientPort: e.sourcePort, server: e.destination,
                                    serverPort: e.destinationPort)
            let awaitingNew = sessions[key]?.awaitingConntrackNew == true
            switch e.kind {
            case .new:
                var replaced = false
                if let s = sessions[key], !s.awaitingConntrackNew {
                    closeSession(key, reason: .reused, events: &events)  // a stale session on reused ports
                    replaced = true
                }
                // After the close, which remembers the stale session's tuple: the new connection is live.
                recentlyClosed.remove(key)
                sessions[key]?.awaitingConntrackNew = false
                if e.tcpState?.isClosing != true {
                    // Copies of this tuple were read before its NEW: where the new
                    // connection's streams start is not known yet (its SYN/ACK says).
                    _ = openSession(key, service: svc, midstream: replaced, quiet: true, events: &events)
                }
            case .existing:
                if e.tcpState?.isClosing == true || recentlyClosed.contains(key) {
                    closeSession(key, reason: .conntrackClosed, events: &events)
                } else {
                    // A handshake still under way (a dump's SYN_SENT/SYN_RECV) is as quiet as a NEW.
                    _ = openSession(key, service: svc, midstream: true, quiet: e.tcpState?.isHandshake == true,
                                    events: &events)
                }
            case .update:
                // Before our NEW arrived, a closing update is the previous connection's.
                if e.tcpState?.isClosing == true, !awaitingNew {
                    closeSession(key, reason: .conntrackClosed, events: &events)
                }
            case .destroy:
                if !awaitingNew { closeSession(key, reason: .conntrackClosed, events: &events) }
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

    /// Copies of control traffic were lost (NFLOG overflow): every stream may
    /// have a hole. Each session starts over as if picked up mid-session: new
    /// reassemblers that trust nothing until the next line start, and no
    /// pending requests (a lost PASV must not pair with a later 227). Open
    /// pinholes stay: they were negotiated before the loss.
    public mutating func restartStreams() {
        for key in Array(sessions.keys) {
            guard let old = sessions[key] else { continue }
            var fresh = Session(key: key, service: old.service, midstream: true, quiet: old.quiet, serial: old.serial)
            fresh.pinholes = old.pinholes
            fresh.refusalsSeen = old.refusalsSeen
            fresh.suspect = old.suspect
            // Still the same connection: its late NEW must not look like a reuse.
            fresh.awaitingConntrackNew = old.awaitingConntrackNew
            fresh.serverISN = old.serverISN
            sessions[key] = fresh
        }
    }

    /// Restart: elements found in the kernel sets. An element is adopted only
    /// when its comment names a control session that is live again and still
    /// allowed, with the remaining timeout; everything else (another
    /// session's, added by hand, no comment) is left out, so reconciliation
    /// deletes it.
    public mutating func adopt(elements: [KernelElement], now: Instant) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        for e in elements where pinholes[e.key] == nil {
            guard let comment = e.comment, let sk = Pinhole.session(inElementComment: comment), sessions[sk] != nil,
                  let svc = service(server: sk.server, port: sk.serverPort) else { continue }
            let pk = e.key
            let mode: PinholeMode
            if pk == PinholeKey(initiator: sk.client, responder: sk.server, port: pk.port) {
                mode = .passive
            } else if pk == PinholeKey(initiator: sk.server, responder: sk.client, port: pk.port) {
                mode = .active
            } else {
                continue
            }
            guard mode == .passive ? svc.passive : svc.active, svc.dataPorts.contains(pk.port), pk.port >= 1024,
                  svc.allowsClient(sk.client), pinholes.count < policy.limits.pinholes,
                  sessions[sk]!.pinholes.count < policy.limits.pinholesPerSession else { continue }
            let ms = min(e.expiresInMs ?? svc.pinholeTimeoutMs, svc.pinholeTimeoutMs)
            sessions[sk]!.pinholes.append(pk)
            sessions[sk]!.quiet = false
            let p = Pinhole(key: pk, service: svc.name, mode: mode, session: sk, created: now,
                            expires: now.adding(milliseconds: ms))
            pinholes[pk] = p
            changedPinholes.insert(pk)
            noteExpiry(p.expires)
            counters.pinholesOpened += 1
            events.append(.pinholeOpened(p))
        }
        return events
    }
}
