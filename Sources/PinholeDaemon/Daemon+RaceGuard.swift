import Logging
import PinholeCore
import PinholeNetfilter

/// The race guard (DESIGN.md, "The race"): a data SYN that finds no pinhole
/// is held in an NFQUEUE instead of dropped. By causality the 227/229 it
/// answers was copied to our NFLOG socket before the client even saw it, so
/// after draining NFLOG the verdict is exact: accept if the inspector has
/// the pinhole, which is then used up (no commit to wait for, and no second
/// pass through the hook), or drop.
extension Daemon {
    /// The queue number: the policy's NFLOG group (a separate number space).
    static func synQueueNumber(_ policy: Policy) -> UInt16 { policy.nflogGroup }

    static func needsRaceGuard(_ policy: Policy) -> Bool {
        policy.attach == nil && policy.services.contains(where: \.enforce)
    }

    /// Runs the table script, then fills the guard chain (the NFQUEUE rule is
    /// an xt target, which nft's text syntax cannot load on this kernel).
    static func installRuleset(_ policy: Policy, _ installer: RulesetInstaller) throws(NetfilterError) {
        _ = try installer.run(RulesetBuilder.script(for: policy))
        guard needsRaceGuard(policy) else { return }
        try SynQueueRule().append(table: policy.table, chain: RulesetBuilder.synGuardChain,
                                  queue: synQueueNumber(policy), ratePerSecond: RulesetBuilder.synGuardRatePerSecond,
                                  burst: RulesetBuilder.synGuardBurst)
    }

    /// Longest a SYN waits for the copy of the reply that announced its port.
    /// By causality that copy is already in our NFLOG socket, but under load
    /// the two sockets are not always read in the order the kernel wrote them.
    static let synHoldMs: UInt64 = 200
    /// Held SYNs at most (the rule's rate limit keeps this far away).
    static let maxHeldSyns = 1024

    /// Queued SYNs whose pinhole the inspector has are accepted at once; the
    /// rest wait while we read NFLOG, and `decideHeldSyns` answers them.
    func readQueue() {
        lastWaitKind = .queuedSyn
        let heldBefore = heldSyns.count
        answerQueue()
        if heldSyns.count > heldBefore { readNflog() }
    }

    /// The verdicts the inspector can give now, without reading anything
    /// else: safe in the middle of a commit (see `reconcile`), and called
    /// wherever a SYN may have queued for a pinhole the inspector just opened.
    /// A held SYN's wait is the client's wait.
    func answerQueue() {
        guard let queue else { return }
        do {
            _ = try queue.drain { packet in self.verdict(for: packet) }
        } catch {
            logger.error("nfqueue read failed", metadata: ["error": "\(error)"])
        }
    }

    /// Accepts the SYN and uses up its pinhole if the inspector has one.
    /// Whether its element is in the kernel yet does not matter: the SYN
    /// missed it, and this round's batch deletes it (or never writes it).
    private func release(_ key: PinholeKey) -> Bool {
        guard let p = inspector.pinholes[key], SystemClock.now() < p.expires else { return false }
        events.record(inspector.markUsed(key))
        stats.synsAccepted += 1
        return true
    }

    private func verdict(for packet: QueuedPacket) -> Verdict {
        stats.synsHeld += 1
        // The copy is cut at the queue's copy range: a SYN with data (TCP Fast
        // Open) or long IPv6 extension headers is longer. Addresses, ports and
        // flags are all the verdict needs, so a copy holding the headers will do.
        guard case .segment(let seg) = PacketDecoder.decode(packet.payload, copy: .headers) else {
            stats.synsDropped += 1
            logger.debug("syn dropped", metadata: ["reason": "undecodable", "bytes": "\(packet.payload.count)"])
            return .drop
        }
        let key = PinholeKey(initiator: seg.source, responder: seg.destination, port: seg.destinationPort)
        if release(key) {
            logger.debug("syn released", metadata: Daemon.synFields(key, ["held": "no"]))
            return .accept
        }
        guard heldSyns.count < Daemon.maxHeldSyns else {
            stats.synsDropped += 1
            logger.debug("syn dropped", metadata: Daemon.synFields(key, ["reason": "held_limit"]))
            return .drop
        }
        heldSyns.append(HeldSyn(id: packet.id, key: key,
                                deadline: SystemClock.now().adding(milliseconds: Daemon.synHoldMs)))
        return .later
    }

    /// SYNs still waiting: accepted once the inspector has their pinhole,
    /// dropped at their deadline (a scan, or a port nobody announced).
    func decideHeldSyns() {
        guard let queue, !heldSyns.isEmpty else { return }
        let now = SystemClock.now()
        var waiting: [HeldSyn] = []
        for h in heldSyns {
            let v: Verdict
            if release(h.key) {
                v = .accept
                logger.debug("syn released", metadata: Daemon.synFields(h.key, ["held": "yes"]))
            } else if h.deadline <= now {
                v = .drop
                stats.synsDropped += 1
                logger.debug("syn dropped", metadata: Daemon.synFields(h.key, ["reason": "no_pinhole"]))
            } else {
                waiting.append(h)
                continue
            }
            do {
                try queue.send(v, id: h.id)
            } catch {
                logger.error("nfqueue verdict failed", metadata: Daemon.synFields(h.key, ["error": "\(error)"]))
            }
        }
        heldSyns = waiting
    }
}

extension Daemon {
    /// A held SYN's log fields, named as the pinhole lines name theirs.
    static func synFields(_ key: PinholeKey, _ extra: Logger.Metadata) -> Logger.Metadata {
        extra.merging(["family": "\(key.family.rawValue)", "initiator": "\(key.initiator)",
                       "responder": "\(key.responder)", "port": "\(key.port)"]) { a, _ in a }
    }
}

/// A SYN left in the kernel's queue until its pinhole is committed.
struct HeldSyn {
    var id: UInt32
    var key: PinholeKey
    var deadline: Instant
}
