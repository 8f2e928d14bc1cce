import PinholeCore
import PinholeNetfilter

/// Reading conntrack events in causal order with the NFLOG copies.
extension Daemon {
    /// Handles the queued conntrack events (one bounded drain).
    ///
    /// The copies first: the kernel queued the copy of a 227/229 to our NFLOG
    /// socket before the client could even read it, so every copy older than
    /// these events is there by the time they are read. Handled after the
    /// events, a data connection's NEW would find the pinhole another session
    /// of the same client still held for the same tuple (the server gave the
    /// port out again) and use that one up, and its own session's pinhole,
    /// opened a moment later, would wait for a connection that already came,
    /// until the session ended or reached its pinhole limit. (From inside
    /// `readNflog`, whose FIN needs the events first, they are applied at once.)
    ///
    /// After an overflow, the events still queued are older than the dump
    /// the resync takes: they are applied first (bounded, as a flood must not
    /// keep us here), or a stale NEW would reopen a session the dump saw closed.
    func readConntrack() {
        lastWaitKind = .conntrackEvent  // a copy read below, if any, comes later
        let result = drainConntrack()  // nil after an error: what it read is still applied
        // A refresh needs no answer: its pinhole was there for the SYN already.
        if !readingNflog, !unappliedConntrackEvents.isEmpty, readNflogAnsweringQueue() { decideHeldSyns() }
        applyUnappliedConntrackEvents()
        if result?.overflowed == true {
            applyConntrackBacklog()
            resync(reason: "conntrack overflow")
        }
    }

    /// Drains applied before a resync's dump, at most: a flood of events must not keep us here.
    static let maxBacklogDrains = 16

    /// The events still queued, before a resync's dump (which corrects them).
    func applyConntrackBacklog() {
        for _ in 0..<Daemon.maxBacklogDrains {
            let result = drainConntrack()
            applyUnappliedConntrackEvents()
            guard let result, result.delivered > 0 else { break }
        }
    }

    /// One bounded read of the event sockets, kept for `applyUnappliedConntrackEvents`.
    private func drainConntrack() -> DrainResult? {
        do {
            return try conntrack.drain { e in self.unappliedConntrackEvents.append(e) }
        } catch {
            logger.error("conntrack read failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Applies the events read so far, oldest first. A read nested in
    /// `readNflog` appends to the same list and applies all of it, so the
    /// order survives.
    private func applyUnappliedConntrackEvents() {
        let batch = unappliedConntrackEvents
        unappliedConntrackEvents = []
        for e in batch { apply(e) }
    }

    private func apply(_ e: ConntrackEvent) {
        logger.trace("conntrack", metadata: ["kind": "\(e.kind.rawValue)", "src": "\(e.source)",
                                             "dst": "\(e.destination)", "sport": "\(e.sourcePort)",
                                             "dport": "\(e.destinationPort)",
                                             "state": "\(e.tcpState.map { "\($0)" } ?? "-")"])
        let now = SystemClock.now()
        let events = inspector.handle(conntrack: e, now: now)
        for case .pinholeClosed(let p, .used) in events where kernelConsumes(p) {
            reconciler.deferDelete(p.key, until: now.adding(milliseconds: Daemon.usedDeleteDeferMs))
        }
        self.events.record(events)
    }
}
