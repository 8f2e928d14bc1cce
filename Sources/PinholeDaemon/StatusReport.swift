import PinholeCore

/// The control socket's answers, built from the inspector's state.
struct StatusReport {
    let inspector: Inspector
    let now: Instant
    let wallNow: Double

    /// Oldest first; pinholes created at the same instant by their key's text.
    /// Each key is written out once, before the sort: written out in the
    /// comparator, n log n times, it made a list of 4,600 pinholes cost the
    /// daemon's only thread 120-190 ms.
    func pinholes() -> [PinholeInfo] {
        inspector.pinholes.values.map { (pinhole: $0, text: $0.key.description) }
            .sorted { a, b in
                a.pinhole.created != b.pinhole.created ? a.pinhole.created < b.pinhole.created : a.text < b.text
            }
            .map { entry in
                let p = entry.pinhole
                let age = Double(p.created.milliseconds(until: now)) / 1000
                return PinholeInfo(
                    service: p.service, mode: p.mode, family: p.key.family,
                    initiator: "\(p.key.initiator)", responder: "\(p.key.responder)", port: p.key.port,
                    session: .init(client: "\(p.session.client)", client_port: p.session.clientPort,
                                   server: "\(p.session.server)", server_port: p.session.serverPort),
                    created: SystemClock.rfc3339(wallNow - age),
                    expires_in: Double(now.milliseconds(until: p.expires)) / 1000)
            }
    }
}
