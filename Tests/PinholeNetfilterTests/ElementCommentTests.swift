@testable import PinholeNetfilter
import XCTest

final class ElementCommentTests: XCTestCase {
    func testRoundTripAndNftLayout() {
        let bytes = ElementComment.encode("ab")
        XCTAssertEqual(bytes, [0, 3, 0x61, 0x62, 0])
        XCTAssertEqual(ElementComment.decode(bytes), "ab")
    }

    func testLongCommentsAreCappedAtNftsLimit() {
        let bytes = ElementComment.encode(String(repeating: "x", count: 500))
        XCTAssertEqual(Int(bytes[1]), ElementComment.maxBytes)
        XCTAssertEqual(ElementComment.decode(bytes)?.count, ElementComment.maxBytes - 1)
    }

    func testOtherTLVsAndMalformedData() {
        XCTAssertEqual(ElementComment.decode([7, 1, 9] + ElementComment.encode("c")), "c")
        XCTAssertNil(ElementComment.decode([0, 9, 0x61]), "length past the end")
        XCTAssertNil(ElementComment.decode([]))
        XCTAssertNil(ElementComment.decode([5, 0]))
    }
}
