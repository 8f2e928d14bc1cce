import XCTest
import PinholeNetfilter
import PinholeCore

/// Root: when the kernel refuses one add (a full set), the error says which
/// element, so the daemon can drop that pinhole and commit the rest; deletes
/// alone still commit.
final class SetElementRefusalTests: XCTestCase {
    static let table = "pinholefull"
    static let s4 = SetLocation(family: "inet", table: table, set: "tiny4")

    static func change(_ port: UInt16, add: Bool = true) -> ElementChange {
        let key = PinholeKey(initiator: IPAddress("198.51.100.2")!, responder: IPAddress("203.0.113.10")!, port: port)
        return add ? ElementChange(location: s4, key: key, timeoutMs: 60_000, comment: "pinholed 198.51.100.2:40000->203.0.113.10:21 lab")
                   : ElementChange(location: s4, key: key)
    }

    func testAFullSetNamesTheRefusedAddAndDeletesAloneStillCommit() throws {
        try NamespaceFixture.skipUnlessRoot()
        try NamespaceFixture.run { _ in
            let nft = try RulesetInstaller()
            try nft.run("table inet \(Self.table) { set tiny4 { type ipv4_addr . ipv4_addr . inet_service; flags dynamic,timeout; size 2; }; }")
            let writer = try SetElementWriter()
            func ports() throws -> Set<UInt16> { Set(try writer.elements(of: Self.s4, keyFamily: .ipv4).map(\.key.port)) }
            try writer.apply(adds: [Self.change(50_001), Self.change(50_002)], deletes: [])
            XCTAssertEqual(try ports(), [50_001, 50_002])

            // Delete one, add two: the delete makes room for the first add, the second does not fit.
            do {
                try writer.apply(adds: [Self.change(50_003), Self.change(50_004)], deletes: [Self.change(50_001, add: false)])
                XCTFail("set size 2 holding 2: adding 2 after deleting 1 must fail")
            } catch let error as NetfilterError {
                XCTAssertEqual(error.code, ENFILE, "\(error)")
                XCTAssertEqual(error.element, FailedElement(location: Self.s4, key: Self.change(50_004).key, isAdd: true),
                               "the error names the add that did not fit: \(error)")
            }
            XCTAssertEqual(try ports(), [50_001, 50_002], "nothing of the failed batch committed")

            // Without the refused add the same batch commits.
            try writer.apply(adds: [Self.change(50_003)], deletes: [Self.change(50_001, add: false)])
            XCTAssertEqual(try ports(), [50_002, 50_003])

            // A lone add that does not fit is named too (its message's only element).
            do {
                try writer.apply(adds: [Self.change(50_005)], deletes: [])
                XCTFail("a third element in a set of size 2 must fail")
            } catch let error as NetfilterError {
                XCTAssertEqual(error.element?.key, Self.change(50_005).key, "\(error)")
                XCTAssertEqual(error.element?.isAdd, true)
            }
            // Deletes alone never wait on adds.
            try writer.apply(adds: [], deletes: [Self.change(50_002, add: false), Self.change(50_003, add: false)])
            XCTAssertEqual(try ports(), [])

            // A failure that is not one element's (a missing set) names none.
            do {
                try writer.apply(adds: [ElementChange(location: SetLocation(family: "inet", table: Self.table, set: "nosuchset"),
                                                      key: Self.change(50_006).key, timeoutMs: 1000)], deletes: [])
                XCTFail("adding to a missing set must fail")
            } catch let error as NetfilterError {
                XCTAssertEqual(error.code, ENOENT, "\(error)")
                XCTAssertNil(error.element, "a missing set is not the element's fault: \(error)")
            }
        }
    }
}
