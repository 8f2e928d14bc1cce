import XCTest
import Foundation
@testable import PinholeNetfilter

/// Root: the race guard's rule in our own table, in a fresh namespace. SYNs
/// to ports 2310-2319 of 198.51.100.1 jump to `guard`, which holds the queue rule.
final class SynQueueRuleTests: XCTestCase {
    typealias F = NamespaceFixture
    static let queue: UInt16 = 7

    static let table = """
    table inet t {
        chain input {
            type filter hook input priority 0; policy accept;
            ip daddr \(F.serverV4) tcp dport 2310-2319 tcp flags & (syn | ack) == syn jump guard
        }
        chain guard {
        }
    }
    """

    /// The table with the queue rule appended to `guard`.
    static func installGuard() throws -> RulesetInstaller {
        let nft = try RulesetInstaller()
        try nft.run(table)
        try SynQueueRule().append(table: "t", chain: "guard", queue: queue, ratePerSecond: 10, burst: 20)
        return nft
    }

    /// The guard chain as `nft list table` prints it.
    static func guardChain(_ nft: RulesetInstaller) throws -> String {
        let text = try XCTUnwrap(try nft.listTable(family: "inet", name: "t"), "table inet t exists")
        let start = try XCTUnwrap(text.range(of: "chain guard {"), text)
        return String(text[start.lowerBound...].prefix { $0 != "}" })
    }

    func testNftListsTheRuleAsLimitAndQueue() throws {
        try F.skipUnlessRoot()
        try F.run { _ in
            let nft = try Self.installGuard()
            let chain = try Self.guardChain(nft)
            // nft (built with xtables support) translates the compat target back; no `bypass`: fail closed.
            let rules = chain.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            XCTAssertEqual(rules, ["limit rate 10/second burst 20 packets queue num \(Self.queue)"], chain)
        }
    }

    func testQueuedSynIsDecidedByTheReader() throws {
        try F.skipUnlessRoot()
        try F.run { _ in
            _ = try Self.installGuard()
            let reader = try QueueReader(queue: Self.queue)
            for (port, verdict) in [(UInt16(2310), Verdict.accept), (UInt16(2311), Verdict.drop)] {
                let listener = try TestSocket.listen(F.serverV4, port)
                defer { close(listener) }
                let fd = try TestSocket.startConnect(from: F.clientV4, to: F.serverV4, port)
                defer { close(fd) }
                var held: [QueuedPacket] = []
                for _ in 0..<20 where held.isEmpty {
                    guard TestSocket.readable(reader.fileDescriptor, within: 50) else { continue }
                    _ = try reader.drain { held.append($0); return verdict }
                }
                let syn = try XCTUnwrap(held.first, "SYN \(F.clientV4) -> \(F.serverV4):\(port) reached queue \(Self.queue)")
                let ihl = Int(syn.payload[0] & 0x0f) * 4
                XCTAssertEqual(UInt16(syn.payload[ihl + 2]) << 8 | UInt16(syn.payload[ihl + 3]), port)
                if verdict == .accept {
                    XCTAssertTrue(TestSocket.connected(fd, within: 1000), "accepted SYN to port \(port) completes the handshake")
                } else {
                    XCTAssertFalse(TestSocket.connected(fd, within: 300), "dropped SYN to port \(port) does not connect")
                }
            }
        }
    }

    func testWithoutReaderTheSynIsDroppedButUnguardedPortsConnect() throws {
        try F.skipUnlessRoot()
        try F.run { _ in
            _ = try Self.installGuard()
            for port in [UInt16(2312), 2320] {
                let listener = try TestSocket.listen(F.serverV4, port)
                defer { close(listener) }
                let fd = try TestSocket.startConnect(from: F.clientV4, to: F.serverV4, port)
                defer { close(fd) }
                if port == 2320 {
                    XCTAssertTrue(TestSocket.connected(fd, within: 1000), "control: port 2320 is not guarded")
                } else {
                    // 1.5 s covers the first SYN retransmit, which must be dropped too.
                    XCTAssertFalse(TestSocket.connected(fd, within: 1500), "fail closed: no reader on queue \(Self.queue), port \(port)")
                }
            }
        }
    }

    func testFlushingTheGuardChainRemovesTheRuleAndItCanBeRefilled() throws {
        try F.skipUnlessRoot()
        try F.run { _ in
            let nft = try Self.installGuard()
            try nft.run("flush chain inet t guard")
            let flushed = try Self.guardChain(nft)
            XCTAssertFalse(flushed.contains("queue"), flushed)
            let listener = try TestSocket.listen(F.serverV4, 2313)
            defer { close(listener) }
            let fd = try TestSocket.startConnect(from: F.clientV4, to: F.serverV4, 2313)
            defer { close(fd) }
            XCTAssertTrue(TestSocket.connected(fd, within: 1000), "empty guard chain returns to input, policy accept")

            // The reload path: flush and refill in turn.
            try SynQueueRule().append(table: "t", chain: "guard", queue: Self.queue, ratePerSecond: 10, burst: 20)
            XCTAssertEqual(try Self.guardChain(nft).components(separatedBy: "queue").count - 1, 1, "exactly one queue rule after refill")
            XCTAssertTrue(nft.tableExists(family: "inet", name: "t"), "the netlink probe sees a table holding an xt rule")
            XCTAssertFalse(nft.tableExists(family: "inet", name: "t_absent"))
            try nft.deleteTable(family: "inet", name: "t")
            XCTAssertFalse(nft.tableExists(family: "inet", name: "t"))
        }
    }

    func testMissingChainIsAnErrorNamingTableChainAndQueue() throws {
        try F.skipUnlessRoot()
        try F.run { _ in
            _ = try Self.installGuard()
            XCTAssertThrowsError(try SynQueueRule().append(table: "t", chain: "nosuch", queue: 9, ratePerSecond: 1, burst: 1)) { error in
                let e = error as? NetfilterError
                XCTAssertEqual(e?.code, ENOENT, "\(error)")
                XCTAssertEqual(e?.context, "chain inet t nosuch, queue 9")
                XCTAssertEqual(e?.detail?.hasSuffix("the chain"), true, "\(error)")
            }
            XCTAssertThrowsError(try SynQueueRule().append(table: "nosuch", chain: "guard", queue: 9, ratePerSecond: 1, burst: 1)) { error in
                XCTAssertEqual((error as? NetfilterError)?.code, ENOENT, "\(error)")
            }
        }
    }
}
