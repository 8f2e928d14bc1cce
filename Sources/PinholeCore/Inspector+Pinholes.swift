extension Inspector {
    /// Opens (or refreshes) a pinhole for a session after every check passed
    /// except the limits, which are applied here.
    mutating func openPinhole(_ key: PinholeKey, mode: PinholeMode, session sk: ConnectionKey,
                              service: Service, now: Instant, events: inout [InspectorEvent]) -> Bool {
        guard var s = sessions[sk] else { return false }
        if let existing = pinholes[key], existing.session != sk {
            // Another session negotiated the same tuple: the newest owns it.
            closePinhole(key, reason: .replaced, events: &events)
            s = sessions[sk]!
        }
        if pinholes[key] == nil {
            if pinholes.count >= policy.limits.pinholes {
                refuse(sk, .globalLimit, "pinhole limit \(policy.limits.pinholes) reached", events: &events)
                return false
            }
            // INTERFACE.md: over its limit, a session is refused and nothing
            // opens; the pinholes it holds stay until used, expired or closed.
            if s.pinholes.count >= policy.limits.pinholesPerSession {
                refuse(sk, .sessionLimit,
                       "session holds \(s.pinholes.count) pinholes, its limit (pinholes_per_session)", events: &events)
                return false
            }
            s.pinholes.append(key)
            sessions[sk] = s
        }
        let refresh = pinholes[key] != nil
        let p = Pinhole(key: key, service: service.name, mode: mode, session: sk, created: now,
                        expires: now.adding(milliseconds: service.pinholeTimeoutMs))
        pinholes[key] = p
        changedPinholes.insert(key)
        noteExpiry(p.expires)
        lastPinholeOpened = now
        if refresh {
            counters.pinholesRefreshed += 1
            events.append(.pinholeRefreshed(p))
        } else {
            counters.pinholesOpened += 1
            events.append(.pinholeOpened(p))
        }
        return true
    }

    mutating func closePinhole(_ key: PinholeKey, reason: PinholeCloseReason, events: inout [InspectorEvent]) {
        guard let p = pinholes.removeValue(forKey: key) else { return }
        changedPinholes.insert(key)
        if var s = sessions[p.session] {
            s.pinholes.removeAll { $0 == key }
            sessions[p.session] = s
        }
        counters.count(reason)
        events.append(.pinholeClosed(p, reason: reason))
    }

    /// Closes every pinhole whose timeout has passed. The kernel has already
    /// dropped the element by its own timeout; this keeps our view true.
    public mutating func expire(now: Instant) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        guard let bound = expiryBound, bound <= now else { return events }
        for (k, p) in pinholes where p.expires <= now {
            closePinhole(k, reason: .expired, events: &events)
        }
        expiryBound = pinholes.values.lazy.map(\.expires).min()
        return events
    }

    /// A data connection went through the pinhole (race guard accepted its SYN,
    /// or conntrack saw it NEW). One pinhole, one connection.
    public mutating func markUsed(_ key: PinholeKey) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        closePinhole(key, reason: .used, events: &events)
        return events
    }

    /// The kernel refused this pinhole's set element and told us which (a
    /// full set, say): the pinhole closes, counted and logged as refusal
    /// `kernel_refused`, so that the rest of the batch can be committed.
    public mutating func kernelRefused(_ key: PinholeKey, detail: String) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        guard let p = pinholes[key] else { return events }
        refuse(p.session, .kernelRefused, "set element \(key): \(detail)", events: &events)
        closePinhole(key, reason: .kernelRefused, events: &events)
        return events
    }

    /// Closes pinholes now (`pinholectl flush`), all or one service's.
    public mutating func flush(service: String?) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        for (k, p) in pinholes where service == nil || p.service == service {
            closePinhole(k, reason: .flushed, events: &events)
        }
        return events
    }

    /// A copied packet that did not decode as IP/TCP: counted as `bad_packet`
    /// (it belongs to no session we could name).
    public mutating func countBadPacket() {
        counters.refused[.badPacket, default: 0] += 1
    }

    /// Closes every pinhole (shutdown).
    public mutating func closeAll() -> [InspectorEvent] { flush(service: nil) }
}
