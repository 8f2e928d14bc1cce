extension Inspector {
    /// Takes a new (already validated) policy. Sessions whose service or
    /// client is gone close; pinholes the new policy still allows stay open
    /// with their deadlines, but none longer than the new `pinhole_timeout`
    /// from when it opened (one already past that expires at the next scan:
    /// a shortened timeout is a promise about every open pinhole); the rest
    /// close with reason `policy`.
    public mutating func reload(policy newPolicy: Policy) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        policy = newPolicy
        for key in Array(sessions.keys) {
            guard let svc = service(server: key.server, port: key.serverPort), svc.allowsClient(key.client) else {
                closeSession(key, reason: .policy, events: &events)
                continue
            }
            sessions[key]!.service = svc.name
            for pk in sessions[key]!.pinholes {
                guard var p = pinholes[pk] else { continue }
                let modeOn = p.mode == .passive ? svc.passive : svc.active
                if !modeOn || !svc.dataPorts.contains(pk.port) {
                    closePinhole(pk, reason: .policy, events: &events)
                } else {
                    p.service = svc.name
                    let latest = p.created.adding(milliseconds: svc.pinholeTimeoutMs)
                    let shortened = latest < p.expires
                    if shortened { p.expires = latest }
                    pinholes[pk] = p
                    if shortened {
                        changedPinholes.insert(pk)  // the element's timeout shrinks too
                        noteExpiry(latest)
                        events.append(.pinholeShortened(p))
                    }
                }
            }
        }
        return events
    }

    /// The session a pinhole belongs to, for listings.
    public func sessionKeys() -> [ConnectionKey] { Array(sessions.keys) }
}
