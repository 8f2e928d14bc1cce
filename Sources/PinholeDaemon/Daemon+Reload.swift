import PinholeConfig
import PinholeCore
import PinholeNetfilter

/// SIGHUP. All or nothing (INTERFACE.md: "A bad new policy is refused and the
/// running one stays"): the sockets the new policy needs are bound first, next
/// to the running ones; then its ruleset goes in; only when both succeeded do
/// the new sockets replace the running ones. On a failure the new sockets
/// close, a table the attempt created is deleted and the running ruleset is
/// put back, so the daemon goes on exactly as before.
extension Daemon {
    /// A bad policy is refused and the running one stays; a good one applies
    /// without closing pinholes it still allows.
    func reload() {
        SystemdNotify.reloading()
        defer { SystemdNotify.ready() }
        let next: LoadedPolicy
        // The group database only for a new socket_group (which needs a
        // restart): a lookup (NSS, LDAP) must not stall every reload.
        let runningGroup = inspector.policy.socketGroup
        switch PolicyLoader.load(path: loaded.path, groupProblem: { $0 == runningGroup ? nil : HostGroups.problem($0) }) {
        case .failure(let errors):
            for d in errors.diagnostics { logger.error("reload refused", metadata: ["diagnostic": "\"\(d)\""]) }
            logger.error("reload refused, keeping the running policy", metadata: ["errors": "\(errors.diagnostics.count)"])
            return
        case .success(let p):
            next = p
        }
        let old = inspector.policy
        let new = next.policy
        let opened: ReloadSockets
        do {
            if new.attach != nil { try Daemon.checkAttachSets(new, writer) }
            if new.table != old.table { try Daemon.checkTableIsOurs(new, installer) }
            opened = try openSockets(for: new, running: old)
            try installRuleset(new, running: old)
        } catch {
            // Whatever `openSockets` bound is closed as it goes out of scope.
            logger.error("reload refused, keeping the running policy", metadata: ["error": "\(error)"])
            return
        }
        replaceSockets(with: opened)
        if new.table != old.table { deleteTable(old.table) }
        // The control socket is made once, at start-up.
        if new.socket != old.socket, options.socketPath == nil {
            logger.warning("socket change needs a restart", metadata: ["socket": "\(old.socket)"])
        }
        if new.socketGroup != old.socketGroup {
            logger.warning("socket_group change needs a restart", metadata: ["socket_group": "\(old.socketGroup ?? "-")"])
        }
        loaded = next
        events.record(inspector.reload(policy: new))
        if new.pinholeSet(.ipv4) != old.pinholeSet(.ipv4) || new.pinholeSet(.ipv6) != old.pinholeSet(.ipv6) {
            reconciler.reset(toKernel: Daemon.readSets(new, writer, logger), now: SystemClock.now())
        }
        // Events queued while the reload ran are older than the dump below:
        // applied first, or a control connection that began meanwhile would be
        // opened from the dump, then closed as `reused` by its own queued NEW,
        // and the pinhole it had opened with it (QA: 4-7 of 150 downloads
        // failed under a reload every 0.2 s).
        readConntrack()
        applyConntrackBacklog()
        resync(reason: "reload", level: .info)
        logger.notice("reloaded", metadata: ["policy": "\(next.path)", "sha256": "\(next.sha256)",
                                             "services": "\(new.services.count)"])
    }

    /// Binds what `new` needs that the running sockets do not give, leaving
    /// those untouched. New numbers only, so nothing clashes with our own binds.
    private func openSockets(for new: Policy, running old: Policy) throws(NetfilterError) -> ReloadSockets {
        var opened = ReloadSockets()
        if new.nflogGroup != old.nflogGroup { opened.nflog = try NflogReader(group: new.nflogGroup) }
        if !Daemon.needsRaceGuard(new) {
            opened.queue = queue == nil ? .keep : .close
        } else if queue == nil || Daemon.synQueueNumber(new) != Daemon.synQueueNumber(old) {
            opened.queue = .replace(try QueueReader(queue: Daemon.synQueueNumber(new)))
        }
        if Daemon.conntrackFilter(new) != Daemon.conntrackFilter(old) {
            opened.conntrack = try ConntrackEvents(filter: Daemon.conntrackFilter(new))
        }
        return opened
    }

    /// Installs `new`'s ruleset. On a failure a table this attempt created is
    /// deleted (shutdown removes only the running table, so it would outlive
    /// us), and the running table, if the attempt was on it, is put back. A
    /// renamed-to table that existed before is not ours to delete.
    private func installRuleset(_ new: Policy, running old: Policy) throws(NetfilterError) {
        let createsTable = new.table != old.table && !installer.tableExists(family: "inet", name: new.table)
        do {
            try Daemon.installRuleset(new, installer)
        } catch {
            if createsTable { deleteTable(new.table) }
            if new.table == old.table {
                do {
                    try Daemon.installRuleset(old, installer)
                } catch {
                    logger.error("could not restore the running ruleset", metadata: ["table": "inet \(old.table)",
                                                                                     "error": "\(error)"])
                }
            }
            throw error
        }
    }

    private func deleteTable(_ name: String) {
        do {
            try installer.deleteTable(family: "inet", name: name)
        } catch {
            logger.error("could not delete table", metadata: ["table": "inet \(name)", "error": "\(error)"])
        }
    }

    /// The new policy's ruleset is in: its sockets take over. Closing a
    /// replaced queue makes the kernel drop the SYNs it held.
    private func replaceSockets(with opened: ReloadSockets) {
        if let nflog = opened.nflog { self.nflog = nflog }
        switch opened.queue {
        case .keep:
            break
        case .close:
            heldSyns.removeAll()
            queue = nil
        case .replace(let reader):
            heldSyns.removeAll()
            queue = reader
        }
        if let conntrack = opened.conntrack { self.conntrack = conntrack }
    }
}

/// What a reload bound for the new policy; nil keeps the running socket.
/// Dropped unused, it closes them (each reader closes its socket in deinit).
struct ReloadSockets {
    enum QueueChange {
        case keep
        /// No service enforces any more.
        case close
        case replace(QueueReader)
    }

    var nflog: NflogReader?
    var queue: QueueChange = .keep
    var conntrack: ConntrackEvents?
}
