import CNetfilter

/// The nf_tables batch that appends the race guard's rule to a chain of an
/// `inet` table: `limit rate R/second burst B packets` then the xtables
/// NFQUEUE target (revision 3) through nft_compat, because this kernel lacks
/// CONFIG_NFT_QUEUE. Built without a socket, so the encoding is unit-tested.
struct SynQueueRuleBatch {
    /// Which part of the rule message a kernel error offset points into.
    enum Part: String {
        case table, chain, limit, target
    }

    private(set) var bytes: [UInt8] = []
    let beginSequence: UInt32
    let ruleSequence: UInt32
    let endSequence: UInt32
    /// Offsets (inside the rule message) of the attributes an error can point at.
    private(set) var parts: [(part: Part, range: Range<Int>)] = []

    init(table: String, chain: String, queue: UInt16, ratePerSecond: UInt32, burst: UInt32, firstSequence: UInt32) {
        beginSequence = firstSequence
        ruleSequence = firstSequence &+ 1
        endSequence = firstSequence &+ 2
        bytes += Self.batchMessage(type: UInt16(NFNL_MSG_BATCH_BEGIN), flags: 0, sequence: beginSequence)
        bytes += rule(table: table, chain: chain, queue: queue, ratePerSecond: ratePerSecond, burst: burst)
        // Kernel >= 6.10 ACKs BATCH_END after the commit: a positive "committed".
        bytes += Self.batchMessage(type: UInt16(NFNL_MSG_BATCH_END), flags: UInt16(NLM_F_ACK), sequence: endSequence)
    }

    /// The ACKs to wait for: the rule's only. Kernels before 6.10 never ACK
    /// BATCH_END (waiting for it timed out there); a commit error still comes,
    /// on BATCH_BEGIN's sequence, before sendto returns.
    var awaitedSequences: Set<UInt32> { [ruleSequence] }

    /// xt_NFQ_info_v3 { queuenum, queues_total = 1, flags = 0 } in host order,
    /// zero padded to XT_ALIGN (8): xt_check_target refuses any other length.
    /// flags 0 means no NFQ_FLAG_BYPASS: with no reader bound the packet is dropped.
    static func nfqueueInfo(queue: UInt16) -> [UInt8] {
        var info: [UInt8] = []
        info.appendHost(queue)
        info.appendHost(UInt16(1))
        info.appendHost(UInt16(0))
        return info + [UInt8](repeating: 0, count: cnf_xt_nfq_info_v3_size() - info.count)
    }

    /// NFT_MSG_NEWRULE (CREATE|APPEND|ACK): table, chain and the two expressions.
    private mutating func rule(table: String, chain: String, queue: UInt16, ratePerSecond: UInt32, burst: UInt32) -> [UInt8] {
        var b = NetlinkMessageBuilder(type: cnf_nfnl_msg_type(UInt16(NFNL_SUBSYS_NFTABLES), UInt16(NFT_MSG_NEWRULE.rawValue)),
                                      flags: UInt16(NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK),
                                      sequence: ruleSequence, family: UInt8(NFPROTO_INET), resourceID: 0)
        let tableName = Array(table.utf8) + [0], chainName = Array(chain.utf8) + [0]
        b.attribute(NFTA_RULE_TABLE.rawValue, tableName)
        b.attribute(NFTA_RULE_CHAIN.rawValue, chainName)
        let limit = Self.expression("limit", [
            Self.attribute(NFTA_LIMIT_RATE.rawValue, .be(UInt64(ratePerSecond))),
            Self.attribute(NFTA_LIMIT_UNIT.rawValue, .be(UInt64(1))),  // seconds
            Self.attribute(NFTA_LIMIT_BURST.rawValue, .be(burst)),
            Self.attribute(NFTA_LIMIT_TYPE.rawValue, .be(UInt32(NFT_LIMIT_PKTS.rawValue))),
            Self.attribute(NFTA_LIMIT_FLAGS.rawValue, .be(UInt32(0))),
        ])
        let target = Self.expression("target", [
            Self.attribute(NFTA_TARGET_NAME.rawValue, Array("NFQUEUE".utf8) + [0]),
            Self.attribute(NFTA_TARGET_REV.rawValue, .be(UInt32(3))),
            Self.attribute(NFTA_TARGET_INFO.rawValue, Self.nfqueueInfo(queue: queue)),
        ])
        b.attribute(UInt16(NFTA_RULE_EXPRESSIONS.rawValue) | UInt16(NLA_F_NESTED), limit + target)
        // Where each part sits in the message: nlmsghdr + nfgenmsg, then the attributes in order.
        var offset = 20
        let layout: [(Part?, Int)] = [(.table, 4 + tableName.count), (.chain, 4 + chainName.count),
                                      (nil, 4), (.limit, limit.count), (.target, target.count)]
        for (part, length) in layout {
            if let part { parts.append((part, offset..<(offset + length))) }
            offset += netlinkAlign(length)
        }
        return b.finish()
    }

    /// Which part of the rule an extended-ACK offset falls in, if any.
    func part(atOffset offset: Int) -> Part? {
        parts.first { $0.range.contains(offset) }?.part
    }

    /// NFNL_MSG_BATCH_BEGIN/END: nfgenmsg res_id names the nf_tables subsystem.
    private static func batchMessage(type: UInt16, flags: UInt16, sequence: UInt32) -> [UInt8] {
        NetlinkMessageBuilder(type: type, flags: flags, sequence: sequence, family: UInt8(AF_UNSPEC),
                              resourceID: UInt16(NFNL_SUBSYS_NFTABLES)).finish()
    }

    /// One NFTA_LIST_ELEM: NFTA_EXPR_NAME and the nested NFTA_EXPR_DATA.
    private static func expression(_ name: String, _ data: [[UInt8]]) -> [UInt8] {
        nested(NFTA_LIST_ELEM.rawValue, [attribute(NFTA_EXPR_NAME.rawValue, Array(name.utf8) + [0]),
                                         nested(NFTA_EXPR_DATA.rawValue, data)])
    }

    private static func nested(_ type: UInt32, _ children: [[UInt8]]) -> [UInt8] {
        let value = children.flatMap { $0 }
        return attributeHeader(type, nested: true, valueLength: value.count) + value
    }

    /// A padded attribute (children are already padded, so nesting adds no padding).
    private static func attribute(_ type: UInt32, _ value: [UInt8]) -> [UInt8] {
        attributeHeader(type, nested: false, valueLength: value.count) + value
            + [UInt8](repeating: 0, count: netlinkAlign(value.count) - value.count)
    }

    private static func attributeHeader(_ type: UInt32, nested: Bool, valueLength: Int) -> [UInt8] {
        var h: [UInt8] = []
        h.appendHost(UInt16(4 + valueLength))
        h.appendHost(UInt16(type) | (nested ? UInt16(NLA_F_NESTED) : 0))
        return h
    }
}
