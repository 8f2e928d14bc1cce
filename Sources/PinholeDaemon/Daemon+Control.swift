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
        return StatusInfo(
            version: PinholeVersion.string,
            uptime_seconds: Double(startedAt.milliseconds(until: now)) / 1000,
            policy_file: loaded.path, policy_sha256: loaded.sha256,
            sessions: inspector.sessionCount, pinholes_open: inspector.pinholes.count,
            pinholes_opened: c.pinholesOpened, pinholes_used: c.pinholesUsed,
            pinholes_expired: c.pinholesExpired, pinholes_closed_with_session: c.pinholesClosedWithSession,
            pinholes_flushed: c.pinholesFlushed, refused: c.refusedByName, resyncs: stats.resyncs,
            syns_held: stats.synsHeld, syns_accepted: stats.synsAccepted, syns_dropped: stats.synsDropped)
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

    /// SIGHUP: a bad policy is refused and the running one stays; a good one
    /// applies without closing pinholes it still allows.
    func reload() {
        SystemdNotify.reloading()
        defer { SystemdNotify.ready() }
        let next: LoadedPolicy
        switch PolicyLoader.load(path: loaded.path) {
        case .failure(let errors):
            for d in errors.diagnostics { logger.error("reload refused", metadata: ["diagnostic": "\"\(d)\""]) }
            logger.error("reload refused, keeping the running policy", metadata: ["errors": "\(errors.diagnostics.count)"])
            return
        case .success(let p):
            next = p
        }
        let old = inspector.policy
        let new = next.policy
        do {
            if new.attach != nil { try Daemon.checkAttachSets(new, writer) }
            try Daemon.installRuleset(new, installer)
            if new.nflogGroup != old.nflogGroup { nflog = try NflogReader(group: new.nflogGroup) }
            if !Daemon.needsRaceGuard(new) {
                heldSyns.removeAll()  // the kernel drops what a closed queue held
                queue = nil
            } else if queue == nil || Daemon.synQueueNumber(new) != Daemon.synQueueNumber(old) {
                heldSyns.removeAll()
                queue = nil  // unbind first: one listener per queue number
                queue = try QueueReader(queue: Daemon.synQueueNumber(new))
            }
            if Daemon.conntrackFilter(new) != Daemon.conntrackFilter(old) {
                conntrack = try ConntrackEvents(filter: Daemon.conntrackFilter(new))
            }
        } catch {
            logger.error("reload refused, keeping the running policy", metadata: ["error": "\(error)"])
            try? Daemon.installRuleset(old, installer)
            return
        }
        if new.table != old.table { try? installer.deleteTable(family: "inet", name: old.table) }
        if new.socket != old.socket, options.socketPath == nil {
            logger.warning("socket change needs a restart", metadata: ["socket": "\(old.socket)"])
        }
        loaded = next
        events.record(inspector.reload(policy: new))
        if new.pinholeSet(.ipv4) != old.pinholeSet(.ipv4) || new.pinholeSet(.ipv6) != old.pinholeSet(.ipv6) {
            reconciler.reset(toKernel: Daemon.readSets(new, writer, logger), now: SystemClock.now())
        }
        resync(reason: "reload")
        logger.notice("reloaded", metadata: ["policy": "\(next.path)", "sha256": "\(next.sha256)",
                                             "services": "\(new.services.count)"])
    }
}
