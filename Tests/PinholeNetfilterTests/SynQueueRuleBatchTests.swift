import XCTest
@testable import PinholeNetfilter
import CNetfilter

/// The race guard's rule batch, parsed back attribute by attribute: no socket, no root.
final class SynQueueRuleBatchTests: XCTestCase {
    let batch = SynQueueRuleBatch(table: "t", chain: "guard", queue: 0x1234, ratePerSecond: 10, burst: 5, firstSequence: 40)

    func testBatchIsBeginRuleEndWithAcksOnRuleAndEnd() throws {
        let messages = NetlinkMessage.parse(batch.bytes[...])
        XCTAssertEqual(messages.map(\.type), [UInt16(NFNL_MSG_BATCH_BEGIN), 0x0a06, UInt16(NFNL_MSG_BATCH_END)],
                       "BATCH_BEGIN, NFT_MSG_NEWRULE (subsys 10 << 8 | 6), BATCH_END")
        XCTAssertEqual(messages.map(\.sequence), [40, 41, 42])
        XCTAssertEqual(messages.map(\.bytes.count).reduce(0, +), batch.bytes.count, "nothing after the three messages")
        XCTAssertEqual(messages[0].flags, UInt16(NLM_F_REQUEST))
        XCTAssertEqual(messages[1].flags, UInt16(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND))
        XCTAssertEqual(messages[2].flags, UInt16(NLM_F_REQUEST | NLM_F_ACK))
        for m in [messages[0], messages[2]] {
            XCTAssertEqual(Array(m.payload), [0, 0, 0, 0x0a], "nfgenmsg: AF_UNSPEC, v0, res_id NFNL_SUBSYS_NFTABLES big-endian")
        }
        XCTAssertEqual(messages[1].payload.first, UInt8(NFPROTO_INET), "family inet")
        XCTAssertEqual([batch.beginSequence, batch.ruleSequence, batch.endSequence], [40, 41, 42])
    }

    func testOnlyTheRuleAckIsAwaitedBecauseKernelsBefore610NeverAckBatchEnd() {
        XCTAssertEqual(batch.awaitedSequences, [41], "the rule's sequence, not BATCH_END's (42): waiting for it times out before 6.10")
    }

    func testRuleNamesTableAndChainAndCarriesLimitThenNfqueueTarget() throws {
        let rule = NetlinkMessage.parse(batch.bytes[...])[1]
        let attrs = rule.nfAttributes
        XCTAssertEqual(attrs.map(\.type), [UInt16(NFTA_RULE_TABLE.rawValue), UInt16(NFTA_RULE_CHAIN.rawValue),
                                           UInt16(NFTA_RULE_EXPRESSIONS.rawValue)], "no NFTA_RULE_COMPAT: proto 0, no inversion")
        XCTAssertEqual(attrs[0].string, "t")
        XCTAssertEqual(attrs[1].string, "guard")
        XCTAssertTrue(isNested(attrs[2]), "NFTA_RULE_EXPRESSIONS carries NLA_F_NESTED")

        let expressions = attrs[2].nested
        XCTAssertEqual(expressions.map(\.type), [UInt16(NFTA_LIST_ELEM.rawValue), UInt16(NFTA_LIST_ELEM.rawValue)])
        XCTAssertEqual(expressions.map { $0.nested.first(NFTA_EXPR_NAME.rawValue)?.string }, ["limit", "target"])
        XCTAssert(expressions.allSatisfy(isNested))

        let limit = try XCTUnwrap(expressions[0].nested.first(NFTA_EXPR_DATA.rawValue)).nested
        XCTAssertEqual(limit.first(NFTA_LIMIT_RATE.rawValue)?.be64, 10)
        XCTAssertEqual(limit.first(NFTA_LIMIT_UNIT.rawValue)?.be64, 1, "per second")
        XCTAssertEqual(limit.first(NFTA_LIMIT_BURST.rawValue)?.be32, 5)
        XCTAssertEqual(limit.first(NFTA_LIMIT_TYPE.rawValue)?.be32, UInt32(NFT_LIMIT_PKTS.rawValue))
        XCTAssertEqual(limit.first(NFTA_LIMIT_FLAGS.rawValue)?.be32, 0, "not inverted")

        let target = try XCTUnwrap(expressions[1].nested.first(NFTA_EXPR_DATA.rawValue)).nested
        XCTAssertEqual(target.first(NFTA_TARGET_NAME.rawValue)?.string, "NFQUEUE")
        XCTAssertEqual(target.first(NFTA_TARGET_REV.rawValue)?.be32, 3)
        // Host order (x86-64: little-endian) queuenum 0x1234, queues_total 1, flags 0 (no bypass), 2 padding bytes.
        XCTAssertEqual(target.first(NFTA_TARGET_INFO.rawValue).map { Array($0.value) }, [0x34, 0x12, 1, 0, 0, 0, 0, 0])
    }

    func testInfoLengthIsXtAlignedStructSize() {
        XCTAssertEqual(cnf_xt_nfq_info_v3_size(), 8)
        XCTAssertEqual(SynQueueRuleBatch.nfqueueInfo(queue: 7), [7, 0, 1, 0, 0, 0, 0, 0])
    }

    func testErrorOffsetsMapToTheRulePart() throws {
        let rule = NetlinkMessage.parse(batch.bytes[...])[1]
        let base = rule.bytes.startIndex
        let attrs = rule.nfAttributes
        let expressions = attrs[2].nested
        XCTAssertEqual(batch.part(atOffset: attrs[0].bytes.startIndex - base), .table)
        XCTAssertEqual(batch.part(atOffset: attrs[1].bytes.startIndex - base), .chain)
        XCTAssertNil(batch.part(atOffset: attrs[2].bytes.startIndex - base), "the list header itself")
        XCTAssertEqual(batch.part(atOffset: expressions[0].bytes.startIndex - base), .limit)
        // The kernel points at the innermost bad attribute, e.g. NFTA_TARGET_INFO.
        let info = try XCTUnwrap(expressions[1].nested.first(NFTA_EXPR_DATA.rawValue)?.nested.first(NFTA_TARGET_INFO.rawValue))
        XCTAssertEqual(batch.part(atOffset: info.bytes.startIndex - base), .target)
        XCTAssertNil(batch.part(atOffset: rule.bytes.count))
    }

    private func isNested(_ a: NetlinkAttribute) -> Bool {
        a.bytes.u16(at: a.bytes.startIndex + 2) & UInt16(NLA_F_NESTED) != 0
    }
}
