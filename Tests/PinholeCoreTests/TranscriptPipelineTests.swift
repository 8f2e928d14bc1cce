import XCTest
@testable import PinholeCore

/// Real server transcripts through StreamReassembler + LineFramer + parsers: however the
/// stream is cut into segments and in whatever order they arrive, the parsed lines
/// are the same.
final class TranscriptPipelineTests: XCTestCase {
    typealias F = CoreFixtures

    enum Parsed: Equatable {
        case command(FTPCommand)
        case reply(FTPReply)
        case overlong
    }

    enum Direction { case commands, replies }

    /// One direction of a control connection, from segments to parsed lines.
    struct Pipeline {
        var reassembler = StreamReassembler()
        var framer = LineFramer()
        var reader = FTPReplyReader()
        let direction: Direction

        init(_ direction: Direction) { self.direction = direction }

        mutating func accept(sequence: UInt32, syn: Bool = false, payload: [UInt8]) -> [Parsed] {
            let output = reassembler.accept(sequence: sequence, syn: syn, payload: payload)
            XCTAssertFalse(output.overflowed)
            return framer.push(output.bytes).map { framed in
                guard case .line(let line) = framed else { return .overlong }
                switch direction {
                case .commands: return .command(FTPCommand.parse(line))
                case .replies: return .reply(reader.read(line))
                }
            }
        }
    }

    private let isn: UInt32 = 0xffff_ff80  // the stream crosses 2^32 a few lines in

    private var transcripts: [(String, Direction, [UInt8])] {
        [
            ("vsftpd commands", .commands, F.bytes(CapturedTranscripts.vsftpdCommands)),
            ("vsftpd replies", .replies, F.bytes(CapturedTranscripts.vsftpdReplies)),
            ("pyftpdlib commands", .commands, F.bytes(CapturedTranscripts.pyftpdlibCommands)),
            ("pyftpdlib replies", .replies, F.bytes(CapturedTranscripts.pyftpdlibReplies)),
        ]
    }

    /// The reference: the whole stream in one segment.
    private func reference(_ direction: Direction, _ stream: [UInt8]) -> [Parsed] {
        var p = Pipeline(direction)
        _ = p.accept(sequence: isn, syn: true, payload: [])
        return p.accept(sequence: isn &+ 1, payload: stream)
    }

    func testReferenceResultsAreWhatTheServersMeant() {
        let v4 = F.v4("198.51.100.2")
        let expectedCommands: [Parsed] = [
            .command(.other), .command(.other), .command(.other), .command(.other), .command(.other),
            .command(.other), .command(.other), .command(.pasv), .command(.epsv), .command(.epsv),
            .command(.port(v4, 6201)), .command(.eprt(v4, 6275)), .command(.eprt(IPAddress("2001:db8::2")!, 5282)),
            .command(.other), .command(.malformed(.malformed)), .command(.other), .command(.other),
            .command(.other), .command(.other),
        ]
        XCTAssertEqual(reference(.commands, F.bytes(CapturedTranscripts.vsftpdCommands)), expectedCommands)
        XCTAssertEqual(reference(.commands, F.bytes(CapturedTranscripts.pyftpdlibCommands)), expectedCommands)

        let vsftpd = reference(.replies, F.bytes(CapturedTranscripts.vsftpdReplies))
        XCTAssertEqual(honoured(vsftpd), [
            .reply(.enteringPassive(v4, 195 * 256 + 170)),
            .reply(.enteringExtendedPassive(50011)),
            .reply(.enteringExtendedPassive(50036)),
        ])
        XCTAssertEqual(vsftpd.first, .reply(.otherFinal(code: 220)))
        XCTAssertEqual(vsftpd.last, .reply(.otherFinal(code: 221)))
        XCTAssertEqual(vsftpd.filter { $0 == .reply(.continuation) }.count, 8 + 5 + 10,
                       "FEAT, HELP and STAT replies up to their closing lines")
        // One final reply per command, multi-line ones included, so replies can be
        // matched to commands: 19 commands plus the 220 greeting.
        XCTAssertEqual(vsftpd.filter { $0 != .reply(.continuation) }.count, 20)

        let pyftpdlib = reference(.replies, F.bytes(CapturedTranscripts.pyftpdlibReplies))
        XCTAssertEqual(honoured(pyftpdlib), [
            .reply(.enteringPassive(v4, 195 * 256 + 138)),
            .reply(.enteringExtendedPassive(50059)),
            .reply(.enteringExtendedPassive(50044)),
        ])
        XCTAssertEqual(pyftpdlib.last, .reply(.otherFinal(code: 221)))
        XCTAssertEqual(pyftpdlib.filter { $0 != .reply(.continuation) }.count, 20)
        XCTAssertFalse(pyftpdlib.contains { if case .reply(.malformed) = $0 { return true } else { return false } })
    }

    private func honoured(_ results: [Parsed]) -> [Parsed] {
        results.filter {
            switch $0 {
            case .reply(.enteringPassive), .reply(.enteringExtendedPassive): return true
            default: return false
            }
        }
    }

    /// Two segments cut at every offset, delivered in order and reversed.
    func testSplitAtEveryOffsetInBothOrders() {
        for (name, direction, stream) in transcripts {
            let expected = reference(direction, stream)
            for cut in 1..<stream.count {
                for reversed in [false, true] {
                    var p = Pipeline(direction)
                    _ = p.accept(sequence: isn, syn: true, payload: [])
                    var parts = [(isn &+ 1, Array(stream[..<cut])), (isn &+ 1 &+ UInt32(cut), Array(stream[cut...]))]
                    if reversed { parts.reverse() }
                    let got = parts.flatMap { p.accept(sequence: $0.0, payload: $0.1) }
                    if got != expected {
                        XCTFail("\(name): cut at \(cut), reversed \(reversed) differs")
                        return
                    }
                }
            }
        }
    }

    /// Random segment sizes, shuffled within a window, with retransmissions (some with
    /// forged content after the first copy), all as real IPv4 packets through the decoder.
    func testRandomSegmentationReorderingAndRetransmission() {
        var rng = F.SeededRNG(seed: 0x7a5c_0005)
        for (name, direction, stream) in transcripts {
            let expected = reference(direction, stream)
            for round in 0..<60 {
                var segments: [(UInt32, [UInt8])] = []
                var offset = 0
                while offset < stream.count {
                    let size = min(stream.count - offset, Int.random(in: 1...90, using: &rng))
                    segments.append((isn &+ 1 &+ UInt32(offset), Array(stream[offset..<(offset + size)])))
                    offset += size
                }
                // Local reordering (window of 4) plus retransmissions appended later.
                var arrivals: [(UInt32, [UInt8])] = []
                var window: [(UInt32, [UInt8])] = []
                for segment in segments {
                    window.append(segment)
                    if window.count == 4 || Bool.random(using: &rng) {
                        arrivals += window.shuffled(using: &rng)
                        window.removeAll()
                    }
                    if Int.random(in: 0..<5, using: &rng) == 0, let old = arrivals.randomElement(using: &rng) {
                        // A retransmission whose bytes differ: must not change anything.
                        arrivals.append((old.0, old.1.map { _ in UInt8(ascii: "X") }))
                    }
                }
                arrivals += window.shuffled(using: &rng)

                var p = Pipeline(direction)
                let syn = F.ipv4(body: F.tcp(sequence: isn, flags: 0x02))
                guard case .segment(let s0) = PacketDecoder.decode(syn) else { return XCTFail("SYN did not decode") }
                _ = p.accept(sequence: s0.sequence, syn: s0.flags.contains(.syn), payload: s0.payload)
                var got: [Parsed] = []
                for (seq, bytes) in arrivals {
                    let packet = F.ipv4(body: F.tcp(sequence: seq, payload: bytes))
                    guard case .segment(let s) = PacketDecoder.decode(packet) else { return XCTFail("did not decode") }
                    got += p.accept(sequence: s.sequence, syn: s.flags.contains(.syn), payload: s.payload)
                }
                // Forged retransmissions can only arrive after their first copy, so they
                // never reach the parser; the result is exactly the reference.
                XCTAssertEqual(got, expected, "\(name), round \(round)")
            }
        }
    }

    /// Picked up mid-stream: the first partial line is dropped, later lines parse as usual.
    func testUnsynchronizedPickupMidLine() {
        let stream = F.bytes(CapturedTranscripts.vsftpdReplies)
        let expected = reference(.replies, stream)
        let start = 5  // inside "220 (vsFTPd 3.0.3)"
        var p = Pipeline(.replies)
        p.framer = LineFramer(synchronized: false)
        let got = p.accept(sequence: 12345, payload: Array(stream[start...]))
        XCTAssertEqual(got, Array(expected.dropFirst()))
    }
}
