import PinholeCore
import PinholeNetfilter

/// The race guard (DESIGN.md, "The race"): a data SYN that finds no pinhole
/// is held in an NFQUEUE instead of dropped. By causality the 227/229 it
/// answers was copied to our NFLOG socket before the client even saw it, so
/// draining NFLOG and committing first makes the verdict exact: repeat the
/// hook (the kernel now matches and consumes the pinhole) or drop.
extension Daemon {
    /// Rate of held SYNs; beyond it they are dropped, so a scan of the data
    /// ports cannot flood the daemon.
    static let synGuardRatePerSecond: UInt32 = 2000
    static let synGuardBurst: UInt32 = 200

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
                                  queue: synQueueNumber(policy), ratePerSecond: synGuardRatePerSecond,
                                  burst: synGuardBurst)
    }

    func readQueue() {
        guard let queue else { return }
        readNflog()
        reconcile()
        do {
            _ = try queue.drain { packet in self.verdict(for: packet) }
        } catch {
            logger.error("nfqueue read failed", metadata: ["error": "\(error)"])
        }
    }

    private func verdict(for packet: QueuedPacket) -> Verdict {
        stats.synsHeld += 1
        guard case .segment(let seg) = PacketDecoder.decode(packet.payload) else {
            stats.synsDropped += 1
            return .drop
        }
        let key = PinholeKey(initiator: seg.source, responder: seg.destination, port: seg.destinationPort)
        // Only when the element is committed: the repeated hook must find it.
        if let p = inspector.pinholes[key], reconciler.believed[key] == p.expires {
            stats.synsAccepted += 1
            logger.debug("syn released", metadata: ["pinhole": "\(key)"])
            return .repeatHook
        }
        stats.synsDropped += 1
        logger.debug("syn dropped", metadata: ["tuple": "\(key)"])
        return .drop
    }
}
