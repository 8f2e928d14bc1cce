import XCTest
@testable import PinholeCore

final class StreamReassemblerTests: XCTestCase {
    typealias F = CoreFixtures

    /// Feeds (offset, bytes) relative to `base` and returns everything delivered.
    private func feed(_ r: inout StreamReassembler, base: UInt32, _ pieces: [(Int, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (offset, bytes) in pieces {
            let result = r.accept(sequence: base &+ UInt32(truncatingIfNeeded: offset), syn: false, payload: bytes)
            XCTAssertFalse(result.overflowed)
            out += result.bytes
        }
        return out
    }

    func testInOrderDelivery() {
        var r = StreamReassembler()
        XCTAssertNil(r.nextSequence)
        XCTAssertEqual(r.accept(sequence: 100, syn: false, payload: F.bytes("USER a\r\n")).bytes, F.bytes("USER a\r\n"))
        XCTAssertEqual(r.nextSequence, 108)
        XCTAssertEqual(r.accept(sequence: 108, syn: false, payload: F.bytes("PASV\r\n")).bytes, F.bytes("PASV\r\n"))
        XCTAssertEqual(r.nextSequence, 114)
    }

    func testSynSetsBaseAndItsPayloadIsIgnored() {
        var r = StreamReassembler()
        XCTAssertEqual(r.accept(sequence: 4999, syn: true, payload: F.bytes("junk")), ReassemblyOutput())
        XCTAssertEqual(r.nextSequence, 5000)
        // A retransmitted SYN (even with data) changes nothing.
        XCTAssertEqual(r.accept(sequence: 4999, syn: true, payload: F.bytes("PORT")).bytes, [])
        XCTAssertEqual(r.nextSequence, 5000)
        XCTAssertEqual(r.accept(sequence: 5000, syn: false, payload: F.bytes("220 hi\r\n")).bytes, F.bytes("220 hi\r\n"))
    }

    func testPureAckFirstSetsBase() {
        var r = StreamReassembler()
        XCTAssertEqual(r.accept(sequence: 77, syn: false, payload: []).bytes, [])
        XCTAssertEqual(r.nextSequence, 77)
        XCTAssertEqual(r.accept(sequence: 77, syn: false, payload: [1]).bytes, [1])
    }

    func testRetransmissionIsDeliveredOnce() {
        var r = StreamReassembler()
        _ = r.accept(sequence: 0, syn: true, payload: [])
        XCTAssertEqual(r.accept(sequence: 1, syn: false, payload: F.bytes("PASV\r\n")).bytes, F.bytes("PASV\r\n"))
        XCTAssertEqual(r.accept(sequence: 1, syn: false, payload: F.bytes("PASV\r\n")).bytes, [])
        XCTAssertEqual(r.nextSequence, 7)
    }

    func testPartialOverlapDeliversOnlyNewBytes() {
        var r = StreamReassembler()
        XCTAssertEqual(feed(&r, base: 10, [(0, F.bytes("0123456789")), (5, F.bytes("56789ABCDE"))]),
                       F.bytes("0123456789ABCDE"))
        XCTAssertEqual(r.nextSequence, 25)
    }

    func testDuplicateWithDifferentBytesCannotRewriteDeliveredData() {
        var r = StreamReassembler()
        XCTAssertEqual(r.accept(sequence: 1, syn: false, payload: F.bytes("227 A")).bytes, F.bytes("227 A"))
        XCTAssertEqual(r.accept(sequence: 1, syn: false, payload: F.bytes("PORT 1,2,3")).bytes, F.bytes("1,2,3"),
                       "only bytes past the delivered ones; the first five stay '227 A'")
    }

    func testFirstCopyWinsForBufferedBytesToo() {
        var r = StreamReassembler()
        _ = r.accept(sequence: 0, syn: false, payload: [])
        XCTAssertEqual(r.accept(sequence: 4, syn: false, payload: F.bytes("EFGH")).bytes, [])
        XCTAssertEqual(r.accept(sequence: 2, syn: false, payload: F.bytes("cdXXXXij")).bytes, [])
        XCTAssertEqual(r.bufferedBytes, 8)
        XCTAssertEqual(r.accept(sequence: 0, syn: false, payload: F.bytes("ab")).bytes, F.bytes("abcdEFGHij"))
        XCTAssertEqual(r.bufferedBytes, 0)
    }

    /// Every arrival order of 3 and 4 segments (some overlapping) yields the stream once.
    func testEveryPermutationOfSegments() {
        let stream = F.bytes("227 Entering Passive Mode (198,51,100,2,24,57).\r\n")
        let layouts: [[(Int, Int)]] = [
            [(0, 10), (10, 25), (25, stream.count)],
            [(0, 12), (8, 30), (30, 40), (38, stream.count)],
            [(0, 5), (5, 6), (6, 20), (20, stream.count)],
        ]
        for layout in layouts {
            for order in permutations(Array(layout.indices)) {
                var r = StreamReassembler()
                _ = r.accept(sequence: 999, syn: true, payload: [])
                var out: [UInt8] = []
                for i in order {
                    let (lo, hi) = layout[i]
                    let result = r.accept(sequence: 1000 + UInt32(lo), syn: false, payload: Array(stream[lo..<hi]))
                    XCTAssertFalse(result.overflowed)
                    out += result.bytes
                }
                XCTAssertEqual(out, stream, "layout \(layout), order \(order)")
                XCTAssertEqual(r.nextSequence, 1000 + UInt32(stream.count))
                XCTAssertEqual(r.bufferedBytes, 0)
            }
        }
    }

    func testReplySplitAtEveryOffsetInBothOrders() {
        let reply = F.bytes("229 Entering Extended Passive Mode (|||6446|)\r\n")
        for cut in 1..<reply.count {
            for reversed in [false, true] {
                var r = StreamReassembler()
                _ = r.accept(sequence: 0, syn: true, payload: [])
                var parts = [(UInt32(1), Array(reply[..<cut])), (UInt32(1 + cut), Array(reply[cut...]))]
                if reversed { parts.reverse() }
                var out: [UInt8] = []
                for (seq, bytes) in parts { out += r.accept(sequence: seq, syn: false, payload: bytes).bytes }
                XCTAssertEqual(out, reply, "cut \(cut) reversed \(reversed)")
            }
        }
    }

    func testSequenceWraparound() {
        let base = UInt32.max - 4  // 5 bytes before the wrap
        let stream = F.bytes("PORT 198,51,100,2,24,57\r\n")
        // In order across the wrap.
        var r = StreamReassembler()
        XCTAssertEqual(feed(&r, base: base, [(0, Array(stream[..<3])), (3, Array(stream[3..<9])), (9, Array(stream[9...]))]),
                       stream)
        XCTAssertEqual(r.nextSequence, base &+ UInt32(stream.count))
        // Out of order across the wrap: the segment after the wrap arrives first.
        var s = StreamReassembler()
        _ = s.accept(sequence: base &- 1, syn: true, payload: [])
        XCTAssertEqual(s.nextSequence, base)
        XCTAssertEqual(s.accept(sequence: base &+ 8, syn: false, payload: Array(stream[8...])).bytes, [])
        XCTAssertEqual(s.accept(sequence: base, syn: false, payload: Array(stream[..<8])).bytes, stream)
        // Old data just before the wrap is recognised as old after it.
        XCTAssertEqual(s.accept(sequence: base, syn: false, payload: Array(stream[..<8])).bytes, [])
    }

    func testSynJustBeforeWrap() {
        var r = StreamReassembler()
        _ = r.accept(sequence: UInt32.max, syn: true, payload: [])
        XCTAssertEqual(r.nextSequence, 0)
        XCTAssertEqual(r.accept(sequence: 0, syn: false, payload: [42]).bytes, [42])
    }

    func testOverflowIsBoundedAndReported() {
        var r = StreamReassembler(maxBufferedBytes: 10)
        _ = r.accept(sequence: 0, syn: false, payload: [])
        let ahead = [UInt8](repeating: 0x41, count: 25)
        let result = r.accept(sequence: 5, syn: false, payload: ahead)
        XCTAssertEqual(result, ReassemblyOutput(bytes: [], overflowed: true))
        XCTAssertEqual(r.bufferedBytes, 10)
        // More far-ahead data cannot grow the buffer.
        XCTAssertTrue(r.accept(sequence: 100, syn: false, payload: [1, 2, 3]).overflowed)
        XCTAssertLessThanOrEqual(r.bufferedBytes, 10)
        // Filling the gap releases the kept bytes; the dropped ones come by retransmission.
        let filled = r.accept(sequence: 0, syn: false, payload: [0x30, 0x31, 0x32, 0x33, 0x34])
        XCTAssertEqual(filled.bytes, [0x30, 0x31, 0x32, 0x33, 0x34] + [UInt8](repeating: 0x41, count: 10))
        XCTAssertFalse(filled.overflowed)
        XCTAssertEqual(r.accept(sequence: 5, syn: false, payload: ahead).bytes, [UInt8](repeating: 0x41, count: 15))
        XCTAssertEqual(r.nextSequence, 30)
    }

    func testInOrderDataIsNeverCountedAgainstTheLimit() {
        var r = StreamReassembler(maxBufferedBytes: 0)
        _ = r.accept(sequence: 0, syn: false, payload: [])
        let big = [UInt8](repeating: 7, count: 5000)
        XCTAssertEqual(r.accept(sequence: 0, syn: false, payload: big), ReassemblyOutput(bytes: big, overflowed: false))
        XCTAssertTrue(r.accept(sequence: 5001, syn: false, payload: [1]).overflowed)
        XCTAssertEqual(r.bufferedBytes, 0)
    }

    func testFarAwaySegmentsAreIgnored() {
        var r = StreamReassembler()
        _ = r.accept(sequence: 1000, syn: false, payload: [])
        for seq: UInt32 in [1000 &+ (1 << 30) &+ 1, 1000 &+ (1 << 31), 1000 &- (1 << 30) &- 1, 1000 &+ 0xC000_0000] {
            XCTAssertEqual(r.accept(sequence: seq, syn: false, payload: [1, 2, 3]), ReassemblyOutput(), "seq \(seq)")
        }
        XCTAssertEqual(r.bufferedBytes, 0)
        XCTAssertEqual(r.nextSequence, 1000)
        // Just inside the window is buffered.
        XCTAssertEqual(r.accept(sequence: 1000 + (1 << 30), syn: false, payload: [1]).bytes, [])
        XCTAssertEqual(r.bufferedBytes, 1)
    }

    /// Random segments (with differing retransmissions) against a model where each
    /// stream offset keeps its first-arrived byte and delivery is the contiguous prefix.
    func testMatchesFirstCopyModel() {
        var rng = F.SeededRNG(seed: 0xfeed_0002)
        for round in 0..<300 {
            let base = UInt32.random(in: 0...UInt32.max, using: &rng)
            let length = Int.random(in: 1...200, using: &rng)
            var r = StreamReassembler(maxBufferedBytes: 1 << 20)
            _ = r.accept(sequence: base, syn: false, payload: [])
            var model: [Int: UInt8] = [:]
            var delivered: [UInt8] = []
            var prefix = 0
            for _ in 0..<60 {
                let lo = Int.random(in: 0..<length, using: &rng)
                let hi = min(length, lo + Int.random(in: 1...40, using: &rng))
                let bytes = F.randomBytes(hi - lo, &rng)
                for (i, b) in bytes.enumerated() where model[lo + i] == nil && lo + i >= prefix { model[lo + i] = b }
                let out = r.accept(sequence: base &+ UInt32(lo), syn: false, payload: bytes)
                XCTAssertFalse(out.overflowed)
                delivered += out.bytes
                while model[prefix] != nil { prefix += 1 }
                XCTAssertEqual(delivered.count, prefix, "round \(round)")
            }
            XCTAssertEqual(delivered, (0..<prefix).map { model[$0]! }, "round \(round)")
            XCTAssertEqual(r.nextSequence, base &+ UInt32(prefix))
        }
    }

    private func permutations(_ items: [Int]) -> [[Int]] {
        if items.count <= 1 { return [items] }
        return items.indices.flatMap { i -> [[Int]] in
            var rest = items
            let head = rest.remove(at: i)
            return permutations(rest).map { [head] + $0 }
        }
    }
}
