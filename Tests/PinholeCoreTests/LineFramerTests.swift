import XCTest
@testable import PinholeCore

final class LineFramerTests: XCTestCase {
    typealias F = CoreFixtures

    private func frame(_ chunks: [[UInt8]], maxLineLength: Int = 512, synchronized: Bool = true) -> [FramedLine] {
        var framer = LineFramer(maxLineLength: maxLineLength, synchronized: synchronized)
        return chunks.flatMap { framer.push($0) }
    }

    private func lines(_ texts: String...) -> [FramedLine] { texts.map { .line(F.bytes($0)) } }

    func testCRLFAndBareLF() {
        XCTAssertEqual(frame([F.bytes("USER a\r\nPASS b\nQUIT\r\n")]),
                       lines("USER a") + [.bareLF(F.bytes("PASS b"))] + lines("QUIT"))
        // Split between the CR and the LF, it is still a CRLF.
        XCTAssertEqual(frame([F.bytes("PASV\r"), F.bytes("\nQUIT\n")]), lines("PASV") + [.bareLF(F.bytes("QUIT"))])
    }

    func testOnlyOneCRIsStrippedAndInnerCRsStay() {
        XCTAssertEqual(frame([F.bytes("a\r\r\nb\rc\r\n")]), lines("a\r", "b\rc"))
    }

    func testEmptyLinesAndIncompleteTail() {
        var framer = LineFramer()
        XCTAssertEqual(framer.push(F.bytes("\r\n\nPAS")), lines("") + [.bareLF([])])
        XCTAssertEqual(framer.push(F.bytes("V")), [])
        XCTAssertEqual(framer.push(F.bytes("\r")), [])
        XCTAssertEqual(framer.push(F.bytes("\n")), lines("PASV"))
    }

    func testSplitAtEveryOffsetGivesIdenticalLines() {
        let streams = [
            "220 (vsFTPd 3.0.3)\r\n230 Login successful.\r\n227 Entering Passive Mode (198,51,100,2,24,57).\r\n",
            "150-first\r\n227 Entering Passive Mode (1,2,3,4,5,6)\r\n150 last\n\n",
            String(repeating: "x", count: 40) + "\r\n" + String(repeating: "y", count: 45) + "\r\nshort\r\n",
        ]
        for text in streams {
            let data = F.bytes(text)
            for maxLength in [512, 40, 41] {
                let expected = frame([data], maxLineLength: maxLength)
                for chunks in F.chunkings(data) {
                    XCTAssertEqual(frame(chunks, maxLineLength: maxLength), expected,
                                   "max \(maxLength), chunks \(chunks.map(\.count))")
                }
                // Three-way splits too.
                for a in 1..<data.count where a % 3 == 0 {
                    for b in (a + 1)..<data.count where b % 5 == 0 {
                        let chunks = [Array(data[..<a]), Array(data[a..<b]), Array(data[b...])]
                        XCTAssertEqual(frame(chunks, maxLineLength: maxLength), expected)
                    }
                }
            }
        }
    }

    func testLengthLimitCountsContentNotTerminator() {
        let exact = String(repeating: "a", count: 10)
        XCTAssertEqual(frame([F.bytes(exact + "\r\n")], maxLineLength: 10), lines(exact))
        XCTAssertEqual(frame([F.bytes(exact + "\n")], maxLineLength: 10), [.bareLF(F.bytes(exact))])
        XCTAssertEqual(frame([F.bytes(exact + "b\n")], maxLineLength: 10), [.overlong])
        XCTAssertEqual(frame([F.bytes(exact + "b\r\n")], maxLineLength: 10), [.overlong])
        // Byte by byte gives the same.
        XCTAssertEqual(frame(F.bytes(exact + "b\n").map { [$0] }, maxLineLength: 10), [.overlong])
        XCTAssertEqual(frame(F.bytes(exact + "\r\n").map { [$0] }, maxLineLength: 10), lines(exact))
    }

    func testOverlongIsEmittedOnceAndTheRestOfTheLineDiscarded() {
        let long = String(repeating: "9", count: 600)
        let stream = F.bytes("PASV\r\n" + long + " 227 Entering Passive Mode (1,2,3,4,5,6)\r\nQUIT\r\n")
        XCTAssertEqual(frame([stream]), lines("PASV") + [.overlong] + lines("QUIT"))
        XCTAssertEqual(frame(stream.map { [$0] }), lines("PASV") + [.overlong] + lines("QUIT"))
    }

    func testStreamWithoutNewlineStaysBounded() {
        var framer = LineFramer(maxLineLength: 512)
        var results: [FramedLine] = []
        let chunk = [UInt8](repeating: 0x41, count: 1000)
        for _ in 0..<1000 { results += framer.push(chunk) }
        XCTAssertEqual(results, [.overlong], "one overlong for a megabyte without newline")
        XCTAssertEqual(framer.push(F.bytes("\r\nNOOP\r\n")), lines("NOOP"))
    }

    func testUnsynchronizedStartDiscardsUpToFirstLF() {
        XCTAssertEqual(frame([F.bytes("ssive Mode (1,2,3,4,5,6)\r\n227 x\r\n")], synchronized: false), lines("227 x"))
        XCTAssertEqual(frame([F.bytes("\nPASV\r\n")], synchronized: false), lines("PASV"))
        XCTAssertEqual(frame([F.bytes("no newline yet")], synchronized: false), [])
        // The partial first line is never reported, not even as overlong.
        let partial = [UInt8](repeating: 0x41, count: 2000) + F.bytes("\nEPSV\r\n")
        XCTAssertEqual(frame([partial], synchronized: false), lines("EPSV"))
        for chunks in F.chunkings(F.bytes("tail of line\r\nPORT 1,2,3,4,5,6\r\n")) {
            XCTAssertEqual(frame(chunks, synchronized: false), lines("PORT 1,2,3,4,5,6"))
        }
    }

    func testRandomBytesNeverExceedTheLimit() {
        var rng = F.SeededRNG(seed: 0x11e5)
        var framer = LineFramer(maxLineLength: 64)
        for _ in 0..<5000 {
            for result in framer.push(F.randomBytes(Int.random(in: 0...300, using: &rng), &rng)) {
                if case .line(let l) = result {
                    XCTAssertLessThanOrEqual(l.count, 64)
                    XCTAssertFalse(l.contains(0x0a))
                }
            }
        }
    }
}
