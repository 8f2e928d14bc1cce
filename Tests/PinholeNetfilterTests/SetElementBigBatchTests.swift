import XCTest
import PinholeNetfilter
import PinholeCore

/// Root: batches as large as a full resync writes (every open pinhole
/// re-added, each with its session comment) reach the kernel intact.
final class SetElementBigBatchTests: XCTestCase {
    static let table = "pinholebig"
    static let s4 = SetLocation(family: "inet", table: table, set: "pinholes4")
    static let s6 = SetLocation(family: "inet", table: table, set: "pinholes6")

    /// `count` IPv4 elements from 198.51.100.x to 203.0.113.10, ports from
    /// `firstPort`, each with a comment as pinholed writes it.
    static func adds4(_ count: Int, firstPort: Int) -> [ElementChange] {
        (0..<count).map { n in
            let client = "198.51.100.\(2 + n / 1000)", port = UInt16(firstPort + n % 1000)
            return ElementChange(location: s4, key: PinholeKey(initiator: IPAddress(client)!,
                                                               responder: IPAddress("203.0.113.10")!, port: port),
                                 timeoutMs: 60_000, comment: "pinholed \(client):\(40_000 + n % 1000)->203.0.113.10:21 lab")
        }
    }

    /// IPv6 elements with the longest address texts and a long comment.
    static func adds6(_ count: Int) -> [ElementChange] {
        let server = "2001:db8:1234:5678:9abc:def0:1234:5678"
        return (0..<count).map { n in
            let client = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:\(String(0xf000 + n, radix: 16))"
            return ElementChange(location: s6, key: PinholeKey(initiator: IPAddress(client)!, responder: IPAddress(server)!,
                                                               port: UInt16(50_000 + n % 1000)),
                                 timeoutMs: 60_000, comment: "pinholed [\(client)]:65000->[\(server)]:21 partners-eu")
        }
    }

    func testThousandsOfCommentedAddsAndDeletesInOneBatchAllCommit() throws {
        try NamespaceFixture.skipUnlessRoot()
        try NamespaceFixture.run { _ in
            let nft = try RulesetInstaller()
            try nft.run("""
            table inet \(Self.table) {
                set pinholes4 { type ipv4_addr . ipv4_addr . inet_service; flags dynamic,timeout; size 1048576; }
                set pinholes6 { type ipv6_addr . ipv6_addr . inet_service; flags dynamic,timeout; size 1048576; }
            }
            """)
            let writer = try SetElementWriter()
            let first4 = Self.adds4(5000, firstPort: 10_000), first6 = Self.adds6(2000)

            // A resync after a failure: every open pinhole re-added in one batch.
            try writer.apply(adds: first4 + first6, deletes: [])
            let dumped4 = try writer.elements(of: Self.s4, keyFamily: .ipv4)
            XCTAssertEqual(Set(dumped4.map(\.key)), Set(first4.map(\.key)),
                           "5,000 commented IPv4 adds in one batch: the set holds exactly them")
            XCTAssertEqual(Set(dumped4.compactMap(\.comment)), Set(first4.compactMap(\.comment)), "every comment kept")
            XCTAssertEqual(Set(try writer.elements(of: Self.s6, keyFamily: .ipv6).map(\.key)), Set(first6.map(\.key)),
                           "2,000 IPv6 adds with long comments in the same batch")

            // 5,000 deletes and 5,000 other adds in one batch.
            let second4 = Self.adds4(5000, firstPort: 20_000)
            try writer.apply(adds: second4, deletes: first4.map { ElementChange(location: $0.location, key: $0.key) })
            XCTAssertEqual(Set(try writer.elements(of: Self.s4, keyFamily: .ipv4).map(\.key)), Set(second4.map(\.key)),
                           "after deleting the first 5,000 and adding 5,000 others in one batch")

            try writer.apply(adds: [], deletes: (second4 + first6).map { ElementChange(location: $0.location, key: $0.key) })
            XCTAssertEqual(try writer.elements(of: Self.s4, keyFamily: .ipv4).count, 0, "all IPv4 deleted")
            XCTAssertEqual(try writer.elements(of: Self.s6, keyFamily: .ipv6).count, 0, "all IPv6 deleted")
        }
    }
}
