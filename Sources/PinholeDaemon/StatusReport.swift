import PinholeCore

/// The control socket's answers, built from the inspector's state.
struct StatusReport {
    let inspector: Inspector
    let now: Instant
    let wallNow: Double

    func pinholes() -> [PinholeInfo] {
        inspector.pinholes.values.sorted { ($0.created, $0.key.description) < ($1.created, $1.key.description) }
            .map { p in
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
