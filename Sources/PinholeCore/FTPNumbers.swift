/// Strict number parsing shared by the FTP command and reply parsers.
///
/// Digit counts are capped before converting, so "99999999999999999999" is refused
/// rather than overflowing. Leading zeros ("010") are allowed within the cap.
enum FTPNumbers {
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// A run of 1...maxDigits decimal digits that is the whole of `text`.
    static func decimal(_ text: ArraySlice<UInt8>, maxDigits: Int) -> Int? {
        guard !text.isEmpty, text.count <= maxDigits, text.allSatisfy(isDigit) else { return nil }
        return text.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// A TCP port 1-65535 written with 1-5 digits.
    static func port(_ text: ArraySlice<UInt8>) -> UInt16? {
        guard let value = decimal(text, maxDigits: 5), value >= 1, value <= 65535 else { return nil }
        return UInt16(value)
    }

    /// "h1,h2,h3,h4,p1,p2" as the whole of `text`: exactly six fields of 1-3 digits, each
    /// at most 255, nothing but digits and commas; the port p1*256+p2 must not be 0.
    static func hostPort(_ text: ArraySlice<UInt8>) -> (IPAddress, UInt16)? {
        let fields = text.split(separator: 0x2c, maxSplits: 6, omittingEmptySubsequences: false)
        guard fields.count == 6 else { return nil }
        var values: [UInt8] = []
        for field in fields {
            guard let value = decimal(field, maxDigits: 3), value <= 255 else { return nil }
            values.append(UInt8(value))
        }
        let port = UInt16(values[4]) << 8 | UInt16(values[5])
        guard port != 0, let address = IPAddress(bytes: values[0..<4]) else { return nil }
        return (address, port)
    }

    /// An RFC 2428 delimiter: printable ASCII 33-126 other than a digit.
    static func isDelimiter(_ c: UInt8) -> Bool { c >= 33 && c <= 126 && !isDigit(c) }

    /// Splits `text` on its first byte as delimiter: "|a|b|c|" gives ["a","b","c"].
    /// Nil unless that byte is a valid delimiter and `text` ends with it, and exactly
    /// `fields` fields lie between.
    static func delimitedFields(_ text: ArraySlice<UInt8>, count fields: Int) -> [ArraySlice<UInt8>]? {
        guard let d = text.first, isDelimiter(d), text.count >= 2, text.last == d else { return nil }
        let inner = text.dropFirst().dropLast()
        let parts = inner.split(separator: d, omittingEmptySubsequences: false)
        guard parts.count == fields else { return nil }
        return Array(parts)
    }

    /// ASCII-case-insensitive equality of `text` with an uppercase ASCII word.
    static func equalsIgnoringCase(_ text: ArraySlice<UInt8>, _ word: String) -> Bool {
        let w = Array(word.utf8)
        guard text.count == w.count else { return false }
        return zip(text, w).allSatisfy { a, b in (a >= 0x61 && a <= 0x7a ? a - 0x20 : a) == b }
    }
}
