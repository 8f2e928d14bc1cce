import Logging
import PinholeCore

/// Turns inspector events into log lines: one per event, greppable, always
/// with the session's addresses. Events are held until `flush`, which the
/// daemon calls after committing to the kernel: writing a log line must not
/// delay a pinhole that a client is about to use.
final class EventLog {
    let logger: Logger
    private var pending: [InspectorEvent] = []

    init(logger: Logger) { self.logger = logger }

    func record(_ events: [InspectorEvent]) {
        pending += events
    }

    func flush() {
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        for e in batch { write(e) }
    }

    private func write(_ e: InspectorEvent) {
        switch e {
        case .sessionOpened(let s, let svc, let midstream):
            logger.info("session opened", metadata: ["service": "\(svc)", "session": "\(s)",
                                                     "midstream": "\(midstream)"])
        case .sessionClosed(let s, let svc, let reason):
            logger.info("session closed", metadata: ["service": "\(svc)", "session": "\(s)",
                                                     "reason": "\(reason.rawValue)"])
        case .pinholeOpened(let p):
            logger.info("pinhole opened", metadata: pinholeMetadata(p))
        case .pinholeClosed(let p, let reason):
            var md = pinholeMetadata(p)
            md["reason"] = "\(reason.rawValue)"
            logger.info("pinhole closed", metadata: md)
        case .refused(let s, let svc, let reason, let detail, let first):
            let md: Logger.Metadata = ["service": "\(svc)", "session": "\(s)", "reason": "\(reason.rawValue)",
                                       "detail": "\"\(detail)\""]
            if first {
                logger.warning("refused", metadata: md)
            } else {
                logger.debug("refused", metadata: md)
            }
        }
    }

    private func pinholeMetadata(_ p: Pinhole) -> Logger.Metadata {
        ["service": "\(p.service)", "mode": "\(p.mode.rawValue)", "family": "\(p.key.family.rawValue)",
         "initiator": "\(p.key.initiator)", "responder": "\(p.key.responder)", "port": "\(p.key.port)",
         "session": "\(p.session)"]
    }
}
