import Logging
import PinholeCore

/// Turns inspector events into log lines: one per event, greppable, always
/// with the session's addresses. Events are held until `flush`, which the
/// daemon calls after committing to the kernel: writing a log line must not
/// delay a pinhole that a client is about to use.
final class EventLog {
    let logger: Logger
    private var pending: [InspectorEvent] = []
    /// A SYN flood gives up one quiet session per SYN, or is refused once per
    /// SYN at the global limit: those are a warning at most every 10 s
    /// (WarningThrottle), debug lines in between; `status` has the totals.
    private var evictionWarnings = WarningThrottle()
    private var globalLimitWarnings = WarningThrottle()
    /// The last line written was an eviction: the session opened next took
    /// its place, and during a flood that open is one per SYN too.
    private var afterEviction = false

    init(logger: Logger) { self.logger = logger }

    func record(_ events: [InspectorEvent]) {
        pending += events
    }

    func flush() {
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        for e in batch { write(e) }
    }

    /// The fields are rendered here, sorted by key as LineLogHandler sorts
    /// metadata: the two lines every transfer logs then cost no metadata
    /// dictionary (hashing, merging, sorting) on the daemon's hot path.
    private func write(_ e: InspectorEvent) {
        let evicting = afterEviction
        afterEviction = false
        switch e {
        case .sessionOpened(let s, let svc, let midstream):
            let line: Logger.Message = "session opened midstream=\(midstream) service=\(svc) session=\(s)"
            if evicting {
                logger.debug(line)
            } else {
                logger.info(line)
            }
        case .sessionClosed(let s, let svc, .evicted):
            afterEviction = true
            let fields = "reason=evicted service=\(svc) session=\(s)"
            if let count = evictionWarnings.note(at: SystemClock.now()) {
                logger.warning("session closed detail=\"session limit reached: gave up the oldest with no byte exchanged\" \(fields) since_warning=\(count)")
            } else {
                logger.debug("session closed \(fields)")
            }
        case .sessionClosed(let s, let svc, let reason):
            logger.info("session closed reason=\(reason.rawValue) service=\(svc) session=\(s)")
        case .pinholeOpened(let p):
            logger.info("pinhole opened \(fields(p, reason: nil))")
        case .pinholeRefreshed(let p):
            logger.info("pinhole refreshed \(fields(p, reason: nil))")
        case .pinholeShortened(let p):
            logger.info("pinhole shortened \(fields(p, reason: "policy"))")
        case .pinholeClosed(let p, let reason):
            logger.info("pinhole closed \(fields(p, reason: reason.rawValue))")
        case .refused(let s, let svc, .globalLimit, let detail, _):
            let line = "refused detail=\"\(detail)\" reason=global_limit service=\(svc) session=\(s)"
            if let count = globalLimitWarnings.note(at: SystemClock.now()) {
                logger.warning("\(line) since_warning=\(count)")
            } else {
                logger.debug("\(line)")
            }
        case .refused(let s, let svc, let reason, let detail, let first):
            let line: Logger.Message = "refused detail=\"\(detail)\" reason=\(reason.rawValue) service=\(svc) session=\(s)"
            if first {
                logger.warning(line)
            } else {
                logger.debug(line)
            }
        }
    }

    private func fields(_ p: Pinhole, reason: String?) -> String {
        let k = p.key
        let why = reason.map { " reason=\($0)" } ?? ""
        return "family=\(k.family.rawValue) initiator=\(k.initiator) mode=\(p.mode.rawValue) port=\(k.port)\(why) "
            + "responder=\(k.responder) service=\(p.service) session=\(p.session)"
    }
}
