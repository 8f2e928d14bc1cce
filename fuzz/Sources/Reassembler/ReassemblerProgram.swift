/// Drives one StreamReassembler with segments at chosen offsets (in order,
/// overlapping, out of order, before the base, across the 2^32 wrap) and
/// checks it against a plain model of the stream:
///
/// - memory: bufferedBytes never exceeds maxBufferedBytes;
/// - nextSequence is always base + bytes delivered;
/// - every delivered byte was offered at that stream offset;
/// - until the buffer first overflows: each delivered byte is the first copy
///   offered for its offset, and delivery reaches exactly as far as the
///   offered bytes are contiguous from the base.
///
/// Input layout: buffer limit byte, first segment (SYN flag, sequence), then
/// segments until the input ends.
struct ReassemblerProgram {
    static let maxOperations = 1_000

    private var input: FuzzReader
    private var reassembler: StreamReassembler
    private var base: UInt32 = 0
    private var delivered = 0
    /// First byte offered for each stream offset from the base, -1 for none yet;
    /// grows with the furthest offset offered (at most `window`).
    private var firstOffered: [Int16] = []
    /// Later copies that differed from the first, as offset * 256 + byte.
    private var otherOffered: Set<Int> = []
    /// The model covers offsets [0, window) from the base.
    private static let window = 1 << 20
    private var overflowed = false

    init(_ input: FuzzReader) {
        self.input = input
        let limit = self.input.byte()
        reassembler = StreamReassembler(maxBufferedBytes: limit == 255 ? 8192 : Int(limit) * 8)
    }

    mutating func run() {
        let first = input.byte()
        let syn = first & 1 != 0
        let sequence = first & 2 != 0 ? input.u32() : 0xffff_ff00 &+ UInt32(input.byte())
        base = syn ? sequence &+ 1 : sequence
        feed(sequence: sequence, syn: syn, payload: payload(at: 0))
        var steps = 0
        while !input.isAtEnd, steps < Self.maxOperations {
            steps += 1
            let control = input.byte()
            let offset: Int
            switch (control >> 1) & 3 {
            case 0: offset = delivered
            case 1: offset = delivered + Int(Int8(bitPattern: input.byte()))
            case 2: offset = Int(Int16(bitPattern: input.u16()))
            default: offset = Int(Int32(bitPattern: input.u32()))
            }
            let sequence = base &+ UInt32(truncatingIfNeeded: offset)
            feed(sequence: sequence, syn: control & 1 != 0, payload: payload(at: offset))
        }
    }

    /// Truth bytes agree across copies; salted ones conflict with earlier copies.
    private static func truth(_ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: offset &* 131 &+ offset >> 8) }

    private mutating func payload(at offset: Int) -> [UInt8] {
        let kind = input.byte()
        let count = Int(input.byte())
        switch kind & 3 {
        case 0: return input.bytes(count)
        case 1: return (0..<(count * 4)).map { Self.truth(offset + $0) }
        case 2:
            let salt = input.byte()
            return (0..<(count * 4)).map { UInt8(truncatingIfNeeded: offset &+ $0) ^ salt }
        default: return (0..<(count * 16)).map { Self.truth(offset + $0) }
        }
    }

    private mutating func feed(sequence: UInt32, syn: Bool, payload: [UInt8]) {
        // What the model says is offered: non-SYN data at offsets >= 0 near the base.
        let start = Int(Int32(bitPattern: sequence &- base))
        if !syn, start > -Self.window, start < Self.window {
            let end = min(start + payload.count, Self.window)
            if end > firstOffered.count { firstOffered += repeatElement(-1, count: end - firstOffered.count) }
            for (i, b) in payload.enumerated() where start + i >= 0 && start + i < end {
                if firstOffered[start + i] < 0 {
                    firstOffered[start + i] = Int16(b)
                } else if firstOffered[start + i] != Int16(b) {
                    otherOffered.insert((start + i) * 256 + Int(b))
                }
            }
        }
        let out = reassembler.accept(sequence: sequence, syn: syn, payload: payload)
        if out.overflowed { overflowed = true }
        require(reassembler.bufferedBytes >= 0 && reassembler.bufferedBytes <= reassembler.maxBufferedBytes,
                "buffered \(reassembler.bufferedBytes) bytes, limit \(reassembler.maxBufferedBytes)")
        for (i, b) in out.bytes.enumerated() {
            let o = delivered + i
            let first = o < firstOffered.count ? firstOffered[o] : -1
            require(first == Int16(b) || otherOffered.contains(o * 256 + Int(b)),
                    "delivered byte \(b) at offset \(o) was never offered there")
            if !overflowed {
                require(first == Int16(b), "delivered \(b) at offset \(o), first copy was \(first)")
            }
        }
        delivered += out.bytes.count
        require(reassembler.nextSequence == base &+ UInt32(truncatingIfNeeded: delivered),
                "nextSequence \(String(describing: reassembler.nextSequence)) after \(delivered) bytes from \(base)")
        var contiguous = delivered
        while contiguous < firstOffered.count, firstOffered[contiguous] >= 0 { contiguous += 1 }
        if overflowed {
            require(delivered <= contiguous, "delivered \(delivered) bytes past the offered \(contiguous)")
        } else {
            require(delivered == contiguous, "delivered \(delivered) bytes but \(contiguous) are contiguous")
        }
    }
}
