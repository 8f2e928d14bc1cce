import Glibc
import PinholeConfig
import PinholeCore
import PinholeNetfilter

/// Requests from pinholectl and signals from the operator.
extension Daemon {
    func answer(_ req: ControlRequest, peer: PeerCredentials) -> ControlResponse {
        let now = SystemClock.now()
        switch req.command {
        case .list:
            return ControlResponse(ok: true, pinholes: StatusReport(inspector: inspector, now: now,
                                                                   wallNow: SystemClock.wallSeconds()).pinholes())
        case .status:
            return ControlResponse(ok: true, status: status(now: now))
        case .flush:
            if let name = req.service, inspector.policy.service(named: name) == nil {
                return ControlResponse(ok: false, error: "no service named \(name) in the running policy")
            }
            let closed = inspector.flush(service: req.service)
            events.record(closed)
            logger.notice("flush", metadata: ["service": "\(req.service ?? "*")", "closed": "\(closed.count)",
                                              "uid": "\(peer.uid)", "pid": "\(peer.pid)"])
            return ControlResponse(ok: true, closed: closed.count)
        }
    }

    func status(now: Instant) -> StatusInfo {
        let c = inspector.counters
        let unqueued = unqueuedSynDrops()
        let polling = copyPolling.intervalNanoseconds > 0
        return StatusInfo(
            version: PinholeVersion.string,
            uptime_seconds: Double(startedAt.milliseconds(until: now)) / 1000,
            policy_file: loaded.path, policy_sha256: loaded.sha256,
            sessions: inspector.sessionCount, pinholes_open: inspector.pinholes.count,
            pinholes_opened: c.pinholesOpened, pinholes_used: c.pinholesUsed,
            pinholes_expired: c.pinholesExpired, pinholes_closed_with_session: c.pinholesClosedWithSession,
            pinholes_flushed: c.pinholesFlushed, refused: c.refusedByName, resyncs: stats.resyncs,
            syns_held: stats.synsHeld, syns_accepted: stats.synsAccepted, syns_dropped: stats.synsDropped,
            syns_dropped_unqueued: unqueued?.total, syns_dropped_source_limit: unqueued?.overSourceLimit,
            pinholes_refreshed: c.pinholesRefreshed, pinholes_closed: c.closedByName,
            copy_looks: polling ? stats.copyLooks : nil, copy_looks_found: polling ? stats.copyLooksFound : nil,
            sessions_evicted: c.sessionsEvicted)
    }

    /// Read from the guard's counters at each `status` (one nft listing;
    /// it lists no xt rule, so libxtables stays quiet).
    private func unqueuedSynDrops() -> RulesetBuilder.UnqueuedDrops? {
        let policy = inspector.policy
        guard Daemon.needsRaceGuard(policy),
              let listing = try? installer.run("list counters table inet \(policy.table)") else { return nil }
        return RulesetBuilder.unqueuedDrops(inCounterListing: listing)
    }

    func handleSignals() {
        for sig in signals.drain() {
            switch sig {
            case SIGHUP:
                reload()
            case SIGTERM, SIGINT:
                logger.notice("stopping", metadata: ["signal": "\(sig == SIGTERM ? "SIGTERM" : "SIGINT")"])
                SystemdNotify.stopping()
                running = false
            default:
                break
            }
        }
    }
}
