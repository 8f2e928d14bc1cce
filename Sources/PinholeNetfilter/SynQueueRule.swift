import CNetfilter

/// Installs the race guard's queue rule over NETLINK_NETFILTER: new data
/// connections that match no pinhole yet are held in an NFQUEUE until pinholed
/// has committed their element. nft's own `queue` statement needs
/// CONFIG_NFT_QUEUE, which this kernel lacks; the xtables NFQUEUE target
/// through nft_compat does the same (and `nft list` prints it as `queue`).
public final class SynQueueRule {
    private let socket: NetlinkSocket
    private var buffer: [UInt8]

    public init() throws(NetfilterError) {
        socket = try NetlinkSocket(purpose: "nftables NFQUEUE rule")
        socket.setNetlinkOption(NETLINK_EXT_ACK)  // the kernel says which attribute it refused
        socket.setNetlinkOption(NETLINK_CAP_ACK)  // errors echo only the header
        socket.setReceiveTimeout(milliseconds: 5000)
        buffer = [UInt8](repeating: 0, count: Int(cnf_mnl_socket_buffer_size()))
    }

    /// Appends to chain `chain` of table `inet <table>` one rule:
    /// `limit rate <ratePerSecond>/second burst <burst> packets` + xt NFQUEUE
    /// (revision 3, queues_total 1, flags 0: NO bypass, so packets are dropped
    /// when nobody listens), as one batch. Errors name table, chain and queue.
    public func append(table: String, chain: String, queue: UInt16, ratePerSecond: UInt32, burst: UInt32) throws(NetfilterError) {
        let batch = SynQueueRuleBatch(table: table, chain: chain, queue: queue, ratePerSecond: ratePerSecond,
                                      burst: burst, firstSequence: socket.nextSequence())
        socket.sequence = batch.endSequence
        let context = "chain inet \(table) \(chain), queue \(queue)"
        try socket.send(batch.bytes, operation: "append NFQUEUE rule (\(context)): send")
        try readAcks(of: batch, context: context)
    }

    private func readAcks(of batch: SynQueueRuleBatch, context: String) throws(NetfilterError) {
        try socket.readBatchAcks(into: &buffer, sequences: batch.beginSequence...batch.endSequence,
                                 expected: batch.awaitedSequences, operation: "append NFQUEUE rule",
                                 context: context) { ack in Self.error(ack, in: batch, context: context) }
    }

    /// The kernel's error, saying which part of the rule it refused when it told us.
    private static func error(_ ack: NetlinkAck, in batch: SynQueueRuleBatch, context: String) -> NetfilterError {
        guard ack.sequence == batch.ruleSequence else {
            return NetfilterError(operation: "commit NFQUEUE rule", code: ack.errno, context: context, detail: ack.message)
        }
        var detail = ack.message.map { [$0] } ?? []
        switch ack.badAttributeOffset.flatMap(batch.part(atOffset:)) {
        case .table?: detail.append("the table")
        case .chain?: detail.append("the chain")
        case .limit?: detail.append("the limit expression")
        case .target?: detail.append("the xt NFQUEUE target (needs CONFIG_NFT_COMPAT and CONFIG_NETFILTER_XT_TARGET_NFQUEUE)")
        case nil: break
        }
        return NetfilterError(operation: "append NFQUEUE rule", code: ack.errno, context: context,
                              detail: detail.isEmpty ? nil : detail.joined(separator: ": "))
    }
}
