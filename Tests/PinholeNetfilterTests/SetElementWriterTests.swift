import XCTest
import PinholeNetfilter
import PinholeCore

/// Root: real nf_tables in a fresh namespace, our own table only.
final class SetElementWriterTests: XCTestCase {
    static let table = "pinholetest"
    static let script = """
    table inet \(table) {
        set pinholes4 { type ipv4_addr . ipv4_addr . inet_service; flags timeout; }
        set pinholes6 { type ipv6_addr . ipv6_addr . inet_service; flags timeout; }
        set plain4 { type ipv4_addr . ipv4_addr . inet_service; }
    }
    """

    static func key(_ i: String, _ r: String, _ p: UInt16) -> PinholeKey {
        PinholeKey(initiator: IPAddress(i)!, responder: IPAddress(r)!, port: p)
    }

    func testAddDumpDeleteTwiceAndErrorsNameTheSet() throws {
        try NamespaceFixture.skipUnlessRoot()
        try NamespaceFixture.run { _ in
            let nft = try RulesetInstaller()
            try nft.run(Self.script)
            let writer = try SetElementWriter()
            let s4 = SetLocation(family: "inet", table: Self.table, set: "pinholes4")
            let s6 = SetLocation(family: "inet", table: Self.table, set: "pinholes6")
            let k1 = Self.key("198.51.100.2", "198.51.100.1", 50_000)
            let k2 = Self.key("203.0.113.2", "198.51.100.1", 50_001)
            let k6 = Self.key("2001:db8::2", "2001:db8::1", 60_000)

            try writer.apply(adds: [ElementChange(location: s4, key: k1, timeoutMs: 30_000,
                                                  comment: "pinholed lab 198.51.100.2:40000->198.51.100.1:21"),
                                    ElementChange(location: s4, key: k2, timeoutMs: 30_000),
                                    ElementChange(location: s6, key: k6, timeoutMs: 30_000)], deletes: [])
            let listed = try XCTUnwrap(nft.listTable(family: "inet", name: Self.table))
            XCTAssert(listed.contains("198.51.100.2 . 198.51.100.1 . 50000"), "nft list shows the element:\n\(listed)")
            XCTAssert(listed.contains("comment \"pinholed lab 198.51.100.2:40000->198.51.100.1:21\""),
                      "nft list shows the comment in its own format:\n\(listed)")

            let dumped = try writer.elements(of: s4, keyFamily: .ipv4)
            XCTAssertEqual(Set(dumped.map(\.key)), [k1, k2])
            XCTAssertEqual(dumped.first { $0.key == k1 }?.comment, "pinholed lab 198.51.100.2:40000->198.51.100.1:21")
            XCTAssertNil(dumped.first { $0.key == k2 }?.comment)
            for e in dumped {
                let ms = try XCTUnwrap(e.expiresInMs, "timeout set has an expiration")
                XCTAssert(ms > 25_000 && ms <= 30_000, "expires in \(ms) ms, expected ~30000")
            }
            XCTAssertEqual(try writer.elements(of: s6, keyFamily: .ipv6).map(\.key), [k6])

            // Delete twice: NFT_MSG_DESTROYSETELEM is idempotent.
            try writer.apply(adds: [], deletes: [ElementChange(location: s4, key: k1)])
            try writer.apply(adds: [], deletes: [ElementChange(location: s4, key: k1)])
            XCTAssertEqual(try writer.elements(of: s4, keyFamily: .ipv4).map(\.key), [k2])

            // A missing set: the error names it, and nothing in the batch was committed.
            let missing = SetLocation(family: "inet", table: Self.table, set: "nosuchset")
            let k3 = Self.key("198.51.100.3", "198.51.100.1", 50_002)
            do {
                try writer.apply(adds: [ElementChange(location: s4, key: k3, timeoutMs: 1000),
                                        ElementChange(location: missing, key: k1, timeoutMs: 1000)], deletes: [])
                XCTFail("adding to inet \(Self.table) nosuchset must fail")
            } catch let error as NetfilterError {
                XCTAssertEqual(error.code, ENOENT, "\(error)")
                XCTAssert(error.description.contains("nosuchset"), "error names the set: \(error)")
                XCTAssert(error.description.contains(Self.table), "error names the table: \(error)")
            }
            XCTAssertEqual(try writer.elements(of: s4, keyFamily: .ipv4).map(\.key), [k2], "failed batch committed nothing")

            // A timeout on a set without `flags timeout` fails on that element.
            let plain = SetLocation(family: "inet", table: Self.table, set: "plain4")
            do {
                try writer.apply(adds: [ElementChange(location: plain, key: k3, timeoutMs: 1000)], deletes: [])
                XCTFail("a timeout in a set without flags timeout must fail")
            } catch let error as NetfilterError {
                XCTAssert(error.description.contains("element 198.51.100.3 . 198.51.100.1 . 50002"), "error names the element: \(error)")
            }

            // Set info for attach mode.
            let info = try XCTUnwrap(try writer.setInfo(s4))
            XCTAssertEqual(info.keyLength, 12)
            XCTAssertTrue(info.hasTimeout)
            XCTAssertEqual(try writer.setInfo(s6)?.keyLength, 36)
            XCTAssertEqual(try writer.setInfo(plain)?.hasTimeout, false)
            XCTAssertNil(try writer.setInfo(missing))
            XCTAssertNil(try writer.setInfo(SetLocation(family: "inet", table: "nosuchtable", set: "x")))

            try nft.deleteTable(family: "inet", name: Self.table)
            XCTAssertFalse(nft.tableExists(family: "inet", name: Self.table))
            XCTAssertNil(try nft.listTable(family: "inet", name: Self.table))
        }
    }

    func testThousandsOfElementsInOneBatch() throws {
        try NamespaceFixture.skipUnlessRoot()
        try NamespaceFixture.run { _ in
            let nft = try RulesetInstaller()
            try nft.run(Self.script)
            let writer = try SetElementWriter()
            let s4 = SetLocation(family: "inet", table: Self.table, set: "pinholes4")
            let adds = (0..<5000).map { n in
                ElementChange(location: s4, key: Self.key("198.51.100.\(2 + n / 1000)", "198.51.100.1", UInt16(1024 + n)), timeoutMs: 60_000)
            }
            try writer.apply(adds: adds, deletes: [])
            XCTAssertEqual(try writer.elements(of: s4, keyFamily: .ipv4).count, 5000)
            try writer.apply(adds: [], deletes: adds)
            XCTAssertEqual(try writer.elements(of: s4, keyFamily: .ipv4).count, 0)
        }
    }

    func testRulesetInstallerReportsNftErrorText() throws {
        try NamespaceFixture.skipUnlessRoot()
        try NamespaceFixture.run { _ in
            let nft = try RulesetInstaller()
            do {
                try nft.run("table inet \(Self.table) { chain c { tcp dport bogus accept; } }")
                XCTFail("a bad script must fail")
            } catch let error as NetfilterError {
                XCTAssert(error.description.contains("Error"), "nft's own error text: \(error)")
            }
            XCTAssertFalse(nft.tableExists(family: "inet", name: Self.table), "a failed script changes nothing")
        }
    }

    /// The race guard answers queued SYNs from `afterSend`, before the ACKs
    /// are read: by then the kernel has processed the whole batch, committed
    /// or refused, as another socket's dump shows.
    func testAfterSendRunsOnceAfterTheKernelProcessedTheBatch() throws {
        try NamespaceFixture.skipUnlessRoot()
        try NamespaceFixture.run { _ in
            try RulesetInstaller().run(Self.script)
            let writer = try SetElementWriter()
            let observer = try SetElementWriter()
            let s4 = SetLocation(family: "inet", table: Self.table, set: "pinholes4")
            let k1 = Self.key("198.51.100.2", "198.51.100.1", 50_000)

            var seen: [[PinholeKey]] = []
            try writer.apply(adds: [ElementChange(location: s4, key: k1, timeoutMs: 30_000)], deletes: []) {
                seen.append((try? observer.elements(of: s4, keyFamily: .ipv4).map(\.key)) ?? [])
            }
            XCTAssertEqual(seen, [[k1]], "afterSend ran once, with the element already committed")

            // A refused batch (no such set): the hook still runs, once, and nothing was committed.
            let missing = SetLocation(family: "inet", table: Self.table, set: "nosuchset")
            let k2 = Self.key("198.51.100.3", "198.51.100.1", 50_001)
            var calls = 0
            XCTAssertThrowsError(try writer.apply(adds: [ElementChange(location: s4, key: k2, timeoutMs: 1000),
                                                         ElementChange(location: missing, key: k2, timeoutMs: 1000)],
                                                  deletes: []) { calls += 1 })
            XCTAssertEqual(calls, 1)
            XCTAssertEqual(try observer.elements(of: s4, keyFamily: .ipv4).map(\.key), [k1])
        }
    }
}
