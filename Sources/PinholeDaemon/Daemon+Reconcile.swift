import Glibc
import PinholeCore
import PinholeNetfilter

/// Making the kernel's sets match the inspector, and what a failed batch
/// does (a batch is all or nothing: after a failure nothing of it committed).
extension Daemon {
    /// Batches tried in one call; each refused add costs one.
    static let maxBatchAttempts = 32

    /// Makes the sets match the inspector: one batch, all ACKs checked.
    /// - An add the kernel refuses and names (a full set, say) closes that
    ///   pinhole (refusal `kernel_refused`) and the rest goes again at once.
    /// - Any other failure rebuilds the belief from a dump and retries once;
    ///   if that fails too, batches with adds back off (BatchBackoff) and the
    ///   deletes go alone: a pinhole closes when its session does, whatever
    ///   the kernel thinks of other pinholes' adds.
    /// `ignoringBackoff`: at shutdown, when the deletes must be tried now.
    func reconcile(ignoringBackoff: Bool = false) {
        let now = SystemClock.now()
        if ignoringBackoff || reconciler.backoff.allows(adds: true, now: now) {
            if commitPlan(withAdds: true) { return }
        } else if !reconciler.backoff.allows(adds: false, now: now) {
            return
        }
        _ = commitPlan(withAdds: false)
    }

    /// Plans and commits one diff (the deletes only, unless `withAdds`).
    /// Returns whether the kernel now holds what the plan asked for.
    private func commitPlan(withAdds: Bool) -> Bool {
        var unexplained = 0
        for attempt in 1...Daemon.maxBatchAttempts {
            reconciler.markDirty(inspector.takeChangedPinholes())
            let plan = reconciler.planChanges(desired: inspector.pinholes, now: SystemClock.now(), adds: withAdds)
            if plan.isEmpty {
                reconciler.committed(plan)  // settles what it examined
                return true
            }
            do {
                try send(plan)
                reconciler.committed(plan)
                reconciler.backoff.committed(deletesOnly: !withAdds)
                return true
            } catch {
                // Nothing committed, so the belief still holds: just drop the add.
                if refuseAdd(named: error) { continue }
                logger.error("batch failed", metadata: ["error": "\(error)", "adds": "\(plan.adds.count)",
                                                       "deletes": "\(plan.deletes.count)", "attempt": "\(attempt)"])
                restoreTableIfMissing()
                reconciler.reset(toKernel: Daemon.readSets(inspector.policy, writer, logger), now: SystemClock.now())
                unexplained += 1
                if unexplained == 2 {
                    reconciler.backoff.failed(now: SystemClock.now(), deletesOnly: !withAdds)
                    logger.warning("batches back off", metadata: ["failures": "\(reconciler.backoff.failures)",
                                                                  "adds": "\(withAdds ? "wait" : "none")"])
                    return false
                }
            }
        }
        return false  // every attempt refused an add; the rest goes next round
    }

    /// One batch for `plan`. A batch that adds answers the queue between the
    /// commit and its ACKs: a SYN that queued while the kernel committed its
    /// pinhole goes at once.
    private func send(_ plan: Reconciler.Plan) throws(NetfilterError) {
        if options.debugCommitDelayMs > 0, !plan.adds.isEmpty { usleep(options.debugCommitDelayMs * 1000) }
        let policy = inspector.policy
        let adds = plan.adds.map {
            addition($0.key, timeoutMs: $0.timeoutMs, comment: inspector.pinholes[$0.key]?.elementComment)
        }
        let deletes = plan.deletes.map { ElementChange(location: policy.pinholeSet($0.family), key: $0) }
        try writer.apply(adds: adds, deletes: deletes, afterSend: adds.isEmpty ? nil : answerQueue)
    }

    /// The element that adds `key` to its family's pinhole set.
    func addition(_ key: PinholeKey, timeoutMs: UInt64, comment: String?) -> ElementChange {
        ElementChange(location: inspector.policy.pinholeSet(key.family), key: key, timeoutMs: timeoutMs, comment: comment)
    }

    /// If the kernel refused one add of ours and said which, that pinhole
    /// closes (logged and counted) and the caller retries without it. (It
    /// may have closed already: a SYN answered during the batch used it.)
    private func refuseAdd(named error: NetfilterError) -> Bool {
        guard let failed = error.element, failed.isAdd else { return false }
        if inspector.pinholes[failed.key] != nil {
            logger.warning("kernel refused pinhole", metadata: ["pinhole": "\(failed.key)", "error": "\(error)"])
            events.record(inspector.kernelRefused(failed.key, detail: "\(error.errnoName) from set \(failed.location)"))
        }
        return true
    }
}
