import Glibc
import Logging
import PinholeCore
import PinholeNetfilter

/// Everything that writes to or re-reads the kernel's state.
extension Daemon {
    /// Refuses a `table:` that names someone else's table (TableOwnership):
    /// pinholed would replace its chains' rules and delete it on SIGTERM.
    static func checkTableIsOurs(_ policy: Policy, _ installer: RulesetInstaller) throws(DaemonError) {
        let listing: String?
        do {
            listing = try installer.listTable(family: "inet", name: policy.table)
        } catch {
            throw .netfilter(error)
        }
        guard let listing else { return }
        let foreign = TableOwnership.foreignObjects(inListing: listing)
        guard !foreign.isEmpty else { return }
        let shown = foreign.prefix(5).joined(separator: ", ") + (foreign.count > 5 ? ", ..." : "")
        throw .tableNotOurs("table inet \(policy.table) exists and holds \(shown), which pinholed did not create; "
            + "pinholed owns its table (it deletes it on stop): name another in `table:` "
            + "(to put pinholes into your own table's sets, see `sets:`)")
    }

    /// Longest the delete of a used element waits for another batch to ride with.
    static let usedDeleteDeferMs: UInt64 = 1000

    /// Whether our own `pinhole_check` deleted this element when its data
    /// connection's first packet matched it: we own the table and the
    /// service's guard rule covers the connection. (In attach mode the
    /// user's rule may not delete.)
    func kernelConsumes(_ p: Pinhole) -> Bool {
        let policy = inspector.policy
        return policy.attach == nil && policy.service(named: p.service)?.enforce == true
    }

    /// Events were lost (ENOBUFS): rebuild sessions from a conntrack dump and
    /// the belief from a set dump, as conntrackd does.
    /// A warning where something was lost (an overflow); a reload's is routine.
    func resync(reason: String, level: Logger.Level = .warning) {
        stats.resyncs += 1
        logger.log(level: level, "resync", metadata: ["reason": "\(reason)"])
        do {
            events.record(inspector.resync(dump: try conntrack.dump(), now: SystemClock.now()))
        } catch {
            logger.error("conntrack dump failed", metadata: ["error": "\(error)"])
        }
        reconciler.reset(toKernel: Daemon.readSets(inspector.policy, writer, logger), now: SystemClock.now())
        reconcile()
    }

    /// Someone flushed the ruleset under us: put the table back (every few
    /// seconds at most; the check is one netlink round trip).
    func checkTable(now: Instant) {
        guard lastTableCheck.milliseconds(until: now) >= 2000 else { return }
        lastTableCheck = now
        restoreTableIfMissing()
    }

    func restoreTableIfMissing() {
        let policy = inspector.policy
        guard !installer.tableExists(family: "inet", name: policy.table) else { return }
        logger.warning("table missing, restoring", metadata: ["table": "inet \(policy.table)"])
        do {
            try Daemon.installRuleset(policy, installer)
            reconciler.reset(toKernel: Daemon.readSets(policy, writer, logger), now: SystemClock.now())
        } catch {
            logger.error("table restore failed", metadata: ["error": "\(error)"])
        }
    }

    /// SIGTERM: no pinhole outlives the daemon, and our table goes too.
    func shutdown() {
        let closed = inspector.closeAll()
        events.record(closed)
        reconcile(ignoringBackoff: true)
        events.flush()
        removeOwnTable()
        control.close()
        logger.notice("stopped", metadata: ["pinholes_closed": "\(closed.count)"])
    }

    func removeOwnTable() {
        let t = inspector.policy.table
        do {
            try installer.deleteTable(family: "inet", name: t)
        } catch {
            logger.error("could not delete table", metadata: ["table": "inet \(t)", "error": "\(error)"])
        }
    }

    /// Elements in the pinhole sets now; an absent set reads as empty.
    static func readSets(_ policy: Policy, _ writer: SetElementWriter,
                         _ logger: Logger) -> [KernelElement] {
        var out: [KernelElement] = []
        for family in IPFamily.allCases {
            do {
                out += try writer.elements(of: policy.pinholeSet(family), keyFamily: family)
            } catch where error.isNotFound {
                continue
            } catch {
                logger.error("set dump failed", metadata: ["set": "\(policy.pinholeSet(family))", "error": "\(error)"])
            }
        }
        return out
    }

    /// Attach mode: the user's sets must exist with our key type and timeouts;
    /// if not, say exactly what to add. We never create or change them.
    static func checkAttachSets(_ policy: Policy, _ writer: SetElementWriter) throws(DaemonError) {
        guard let attach = policy.attach else { return }
        for family in IPFamily.allCases {
            let loc = policy.pinholeSet(family)
            let want = "set \(loc.set) { type \(RulesetBuilder.keyType(family)); flags timeout; }"
            let keyLength = family == .ipv4 ? 12 : 36
            let info: SetInfo?
            do { info = try writer.setInfo(loc) } catch where error.isNotFound { info = nil } catch { throw .netfilter(error) }
            guard let info else {
                throw .attachSet("attach mode: set \(loc) does not exist; add to table \(attach.family) \(attach.table): \(want)")
            }
            guard info.keyLength == keyLength, info.hasTimeout else {
                throw .attachSet("attach mode: set \(loc) has the wrong type or flags (key \(info.keyLength) bytes, "
                    + "timeout \(info.hasTimeout)); it must be: \(want)")
            }
        }
    }

    /// Kernel-side conntrack filter: only connections to (passive) or from
    /// (active) the services' servers reach us, and of data connections only
    /// the NEW event (it marks a pinhole used; the rest would only wake us).
    static func conntrackFilter(_ policy: Policy) -> ConntrackFilter {
        let servers = policy.services.flatMap(\.servers)
        let active = policy.services.filter(\.active).flatMap(\.servers)
        let controlPorts = Set(policy.services.map(\.controlPort)).sorted()
        return ConntrackFilter(destinations: servers, sources: active, controlPorts: controlPorts)
    }
}

struct RuntimeStats {
    var resyncs: UInt64 = 0
    var synsHeld: UInt64 = 0
    var synsAccepted: UInt64 = 0
    var synsDropped: UInt64 = 0
    /// Copy polling's looks at the copies, and those that found some waiting.
    var copyLooks: UInt64 = 0
    var copyLooksFound: UInt64 = 0
}
