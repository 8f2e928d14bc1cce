import XCTest
@testable import PinholeNetfilter
import PinholeCore
import CNetfilter

/// Golden netlink bytes for the set element batch encoder (google/nftables
/// internal/nftest style): no socket, no root.
final class SetElementBatchTests: XCTestCase {
    let set4 = SetLocation(family: "inet", table: "t", set: "s4")

    func key(_ i: String, _ r: String, _ p: UInt16) -> PinholeKey {
        PinholeKey(initiator: IPAddress(i)!, responder: IPAddress(r)!, port: p)
    }

    static func hex(_ s: String) -> [UInt8] {
        s.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
    }

    func testOneDeleteAndOneAddWithTimeoutEncodeToGoldenBytes() throws {
        let add = ElementChange(location: set4, key: key("198.51.100.2", "198.51.100.1", 21), timeoutMs: 30_000)
        let del = ElementChange(location: set4, key: key("198.51.100.3", "198.51.100.1", 50_000))
        let batch = try SetElementBatch(adds: [add], deletes: [del], firstSequence: 100)

        let expected = Self.hex("""
        14 00 00 00  10 00  01 00  64 00 00 00  00 00 00 00
        00 00 00 0a
        40 00 00 00  1e 0a  05 00  65 00 00 00  00 00 00 00
        01 00 00 00
        07 00 02 00  73 34 00 00
        06 00 01 00  74 00 00 00
        1c 00 03 80
           18 00 01 80
              14 00 01 80
                 10 00 01 00  c6 33 64 03  c6 33 64 01  c3 50 00 00
        4c 00 00 00  0c 0a  05 04  66 00 00 00  00 00 00 00
        01 00 00 00
        07 00 02 00  73 34 00 00
        06 00 01 00  74 00 00 00
        28 00 03 80
           24 00 01 80
              0c 00 04 00  00 00 00 00 00 00 75 30
              14 00 01 80
                 10 00 01 00  c6 33 64 02  c6 33 64 01  00 15 00 00
        14 00 00 00  11 00  05 00  67 00 00 00  00 00 00 00
        00 00 00 0a
        """)
        // Line by line: BATCH_BEGIN (type 16, seq 100, res_id NFNL_SUBSYS_NFTABLES big-endian);
        // DESTROYSETELEM (0x0a<<8 | 30, REQUEST|ACK, seq 101, family inet) with SET "s4", TABLE "t",
        // ELEMENTS > ELEM > KEY > DATA_VALUE 198.51.100.3 . 198.51.100.1 . 50000 (0xc350);
        // NEWSETELEM (12, REQUEST|ACK|CREATE) with TIMEOUT 30000 ms big-endian and key
        // 198.51.100.2 . 198.51.100.1 . 21 (the NETLINK-NOTES example); BATCH_END (17, ACK requested).
        XCTAssertEqual(batch.bytes, expected, "batch bytes differ from the golden encoding")
        XCTAssertEqual(batch.beginSequence, 100)
        XCTAssertEqual(batch.endSequence, 103)
        XCTAssertEqual(batch.ackedSequences, [101, 102])
    }

    func testIPv6KeyIs36BytesAndIpFamilyMapsToNfprotoIPv4() throws {
        let loc6 = SetLocation(family: "ip6", table: "t", set: "s6")
        let k = key("2001:db8::2", "2001:db8::1", 50_000)
        let batch = try SetElementBatch(adds: [ElementChange(location: loc6, key: k, timeoutMs: 1)], deletes: [], firstSequence: 1)
        let messages = NetlinkMessage.parse(batch.bytes[...])
        XCTAssertEqual(messages.count, 3)
        XCTAssertEqual(messages[1].payload.first, 10, "ip6 must map to NFPROTO_IPV6 (10)")
        let decoded = SetElementWriter.decodeElements(messages[1])
        XCTAssertEqual(decoded.map(\.key), [k])
        XCTAssertEqual(k.elementKey.count, 36)
        XCTAssertEqual(nfproto(ofFamily: "ip"), 2)
        XCTAssertNil(nfproto(ofFamily: "ipv4"))
    }

    func testUnknownFamilyIsAnErrorNamingTheSet() {
        let bad = SetLocation(family: "ipv4", table: "t", set: "s")
        XCTAssertThrowsError(try SetElementBatch(adds: [ElementChange(location: bad, key: key("198.51.100.2", "198.51.100.1", 2000), timeoutMs: 5)],
                                                 deletes: [], firstSequence: 1)) { error in
            XCTAssert("\(error)".contains("ipv4 t s"), "\(error)")
        }
    }

    func testMessagesAreSplitBySizeAndGroupedBySet() throws {
        let other = SetLocation(family: "inet", table: "t", set: "other")
        var adds: [ElementChange] = []
        for n in 0..<2500 {
            adds.append(ElementChange(location: set4, key: key("198.51.100.2", "198.51.100.1", UInt16(1024 + n)), timeoutMs: 1000))
        }
        adds.append(ElementChange(location: other, key: key("203.0.113.2", "203.0.113.1", 2000), timeoutMs: 1000))
        let batch = try SetElementBatch(adds: adds, deletes: [], firstSequence: 10)
        let messages = NetlinkMessage.parse(batch.bytes[...])
        // 36 bytes per element (LIST_ELEM 4, TIMEOUT 12, KEY 4 + DATA_VALUE 16): 910 fit in 32 KiB.
        let counts = messages.dropFirst().dropLast().map { SetElementWriter.decodeElements($0).count }
        XCTAssertEqual(counts, [910, 910, 680, 1], "begin, three messages for s4, one for other, end")
        let all = messages.dropFirst().dropLast().flatMap { SetElementWriter.decodeElements($0).map(\.key) }
        XCTAssertEqual(all, adds.map(\.key), "elements keep their order")
    }

    /// Elements attributes whose 16-bit length covers every element the message carries.
    func elementsAttributes(_ batch: SetElementBatch) -> [(length: Int, elements: Int)] {
        NetlinkMessage.parse(batch.bytes[...]).dropFirst().dropLast().map { m in
            let list = m.nfAttributes.first(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)
            return (list?.bytes.count ?? 0, list?.nested.count ?? 0)
        }
    }

    func testThousandsOfLongCommentedIPv6ElementsStayUnder64KiBPerMessage() throws {
        // The worst case pinholed writes: IPv6 keys, a timeout and a 127-byte comment each.
        let set6 = SetLocation(family: "inet", table: "t", set: "s6")
        let comment = "pinholed [2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65000->[2001:db8:1234:5678:9abc:def0:1234:5678]:21 "
            + String(repeating: "x", count: 32)
        let adds = (0..<5000).map { n in
            ElementChange(location: set6, key: key("2001:db8:aaaa:bbbb:cccc:dddd:eeee:\(String(0xa000 + n, radix: 16))",
                                                   "2001:db8:1234:5678:9abc:def0:1234:5678", UInt16(1024 + n)),
                          timeoutMs: 60_000, comment: comment)
        }
        let batch = try SetElementBatch(adds: adds, deletes: adds.map { ElementChange(location: $0.location, key: $0.key) },
                                        firstSequence: 1)
        let lists = elementsAttributes(batch)
        XCTAssertEqual(lists.map(\.elements).reduce(0, +), 10_000, "every delete and add is in some message")
        for (i, l) in lists.enumerated() {
            XCTAssertLessThanOrEqual(l.length, SetElementBatch.maxElementsAttributeBytes, "message \(i + 1) elements attribute")
        }
        XCTAssert(lists.filter { $0.elements > 0 }.count > 20, "split into many messages: \(lists.map(\.elements))")
        let keys = NetlinkMessage.parse(batch.bytes[...]).dropFirst().dropLast()
            .flatMap { SetElementWriter.decodeElements($0) }
        let kept = String(comment.utf8.prefix(127))!
        XCTAssertEqual(keys.suffix(5000).filter { $0.comment == kept }.count, 5000, "every add keeps its comment")
    }

    func testAMessageOverTheAttributeLimitIsAnErrorNotACorruptMessage() {
        // Budget raised past 64 KiB on purpose: the length check must catch what the split would have.
        let adds = (0..<2000).map { n in
            ElementChange(location: set4, key: key("198.51.100.2", "198.51.100.1", UInt16(1024 + n)), timeoutMs: 1000,
                          comment: "pinholed 198.51.100.2:40000->198.51.100.1:21 lab")
        }
        XCTAssertThrowsError(try SetElementBatch(adds: adds, deletes: [], firstSequence: 1,
                                                 maxElementsAttributeBytes: 1 << 20)) { error in
            XCTAssertEqual((error as? NetfilterError)?.code, EMSGSIZE, "\(error)")
            XCTAssert("\(error)".contains("inet t s4"), "names the set: \(error)")
        }
    }

    func testKernelErrorOffsetIsTracedToTheElement() throws {
        let a = ElementChange(location: set4, key: key("198.51.100.2", "198.51.100.1", 2000), timeoutMs: 10)
        let b = ElementChange(location: set4, key: key("198.51.100.7", "198.51.100.1", 3000), timeoutMs: 10)
        let batch = try SetElementBatch(adds: [a, b], deletes: [], firstSequence: 50)
        let info = try XCTUnwrap(batch.info(of: 51))
        XCTAssertEqual(info.elements.map(\.key), [a.key, b.key])
        let second = info.elements[1].range.lowerBound
        XCTAssertEqual(batch.context(ofError: 51, offset: second).context, "set inet t s4, element 198.51.100.7 . 198.51.100.1 . 3000")
        let setOffset = try XCTUnwrap(info.setAttribute).lowerBound
        XCTAssertEqual(batch.context(ofError: 51, offset: setOffset).context, "set inet t s4: the set")
        XCTAssert(batch.context(ofError: 51, offset: nil).context.contains("one of 2 elements"))
        XCTAssertEqual(batch.context(ofError: 50, offset: nil).operation, "commit set element batch")
    }

    func testNetlinkAckDecodesErrnoSequenceAndExtendedAckOffset() {
        // NLMSG_ERROR, flags CAPPED|ACK_TLVS, error -ENOENT, echoed header (seq 77), NLMSGERR_ATTR_OFFS 40.
        let bytes = Self.hex("""
        2c 00 00 00  02 00  00 03  4d 00 00 00  01 00 00 00
        fe ff ff ff
        4c 00 00 00  0c 0a  05 04  4d 00 00 00  00 00 00 00
        08 00 02 00  28 00 00 00
        """)
        let m = NetlinkMessage.parse(bytes[...])
        XCTAssertEqual(m.count, 1)
        let ack = NetlinkAck(m[0])
        XCTAssertEqual(ack?.errno, ENOENT)
        XCTAssertEqual(ack?.sequence, 77)
        XCTAssertEqual(ack?.badAttributeOffset, 40)
    }

    func testParsersStopAtTruncatedInput() {
        let bytes = Self.hex("40 00 00 00 10 00 01 00 64 00 00 00 00 00 00 00 00 00 00 0a")
        XCTAssertTrue(NetlinkMessage.parse(bytes[...]).isEmpty, "length 64 > 20 available")
        XCTAssertTrue(NetlinkAttribute.parse(Self.hex("ff 00 01 00 00")[...]).isEmpty)
        XCTAssertTrue(NetlinkAttribute.parse(Self.hex("02 00 01 00")[...]).isEmpty, "length below header size")
    }

    func testErrorDescriptionHasOperationErrnoNameAndContext() {
        let e = NetfilterError(operation: "add set elements", code: ENOENT, context: "set inet t s4, element 198.51.100.2 . 198.51.100.1 . 21")
        XCTAssertEqual(e.description, "add set elements (set inet t s4, element 198.51.100.2 . 198.51.100.1 . 21): ENOENT No such file or directory")
        XCTAssertEqual(NetfilterError(operation: "x", code: 85).errnoName, "ERESTART")
    }
}
