/// Reads a fuzz input as a stream of small decisions. Past the end every read
/// yields zero, so any input, however short, is a complete program.
struct FuzzReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func u16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }

    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }

    /// Up to `count` bytes, fewer at the end of the input.
    mutating func bytes(_ count: Int) -> [UInt8] {
        let n = min(count, bytes.count - index)
        guard n > 0 else { return [] }
        defer { index += n }
        return Array(bytes[index..<(index + n)])
    }

    /// One of `choices` (never empty).
    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(byte()) % choices.count] }
}
