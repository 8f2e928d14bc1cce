/// One direction of a control connection: TCP reassembly, then line framing
/// by stream offset (never by segment boundary).
struct StreamReader: Sendable {
    private var reassembler = StreamReassembler()
    private var framer: LineFramer

    init(synchronized: Bool) {
        framer = LineFramer(maxLineLength: StreamReader.maxLineLength, synchronized: synchronized)
    }

    /// RFC 959 sets no limit; 512 is what DESIGN.md and strict inspectors use.
    static let maxLineLength = 512

    /// Lines completed by this segment, and whether out-of-order data had to be dropped.
    mutating func accept(_ segment: TCPSegment) -> (lines: [FramedLine], overflowed: Bool) {
        let out = reassembler.accept(sequence: segment.sequence, syn: segment.flags.contains(.syn),
                                     payload: segment.payload)
        if out.bytes.isEmpty { return ([], out.overflowed) }
        return (framer.push(out.bytes), out.overflowed)
    }
}
