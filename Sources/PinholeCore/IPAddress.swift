/// An IPv4 or IPv6 address, stored as 128 bits so that it hashes and compares
/// without allocating. IPv4 lives in the low 32 bits of `low`.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let family: IPFamily
    public let high: UInt64
    public let low: UInt64

    public init(ipv4 value: UInt32) {
        family = .ipv4
        high = 0
        low = UInt64(value)
    }

    public init(ipv6 high: UInt64, _ low: UInt64) {
        family = .ipv6
        self.high = high
        self.low = low
    }

    /// From network-order bytes: 4 for IPv4, 16 for IPv6; nil otherwise.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        switch bytes.count {
        case 4:
            self.init(ipv4: bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            var h: UInt64 = 0, l: UInt64 = 0
            for (i, b) in bytes.enumerated() {
                if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
            }
            self.init(ipv6: h, l)
        default:
            return nil
        }
    }

    /// The IPv4 value; only meaningful when `family == .ipv4`.
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch family {
        case .ipv4:
            let v = ipv4Value
            return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        case .ipv6:
            var out = [UInt8]()
            out.reserveCapacity(16)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(high >> UInt64(shift) & 0xff)) }
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(low >> UInt64(shift) & 0xff)) }
            return out
        }
    }

    /// Parses dotted-quad IPv4 (strict: four decimal octets, no leading zeros
    /// beyond a single "0") or IPv6 text (RFC 4291, with `::` and an embedded
    /// dotted quad). Returns nil for anything else.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let v6 = IPAddress.parseIPv6(Array(text.utf8)) else { return nil }
            self = v6
        } else {
            guard let v4 = IPAddress.parseIPv4(Array(text.utf8)[...]) else { return nil }
            self.init(ipv4: v4)
        }
    }

    static func parseIPv4(_ s: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var i = s.startIndex
        while parts < 4 {
            var octet: UInt32 = 0
            let start = i
            while i < s.endIndex, s[i] >= 0x30, s[i] <= 0x39 {
                octet = octet * 10 + UInt32(s[i] - 0x30)
                if octet > 255 || i - start >= 3 { return nil }
                i += 1
            }
            let digits = i - start
            if digits == 0 || (digits > 1 && s[start] == 0x30) { return nil }
            value = value << 8 | octet
            parts += 1
            if parts < 4 {
                guard i < s.endIndex, s[i] == 0x2e else { return nil }
                i += 1
            }
        }
        return i == s.endIndex ? value : nil
    }

    static func parseIPv6(_ s: [UInt8]) -> IPAddress? {
        // Split into groups around an optional "::".
        var head: [UInt16] = [], tail: [UInt16] = []
        var seenGap = false
        var i = 0
        if s.count >= 2, s[0] == 0x3a, s[1] == 0x3a {
            seenGap = true
            i = 2
        } else if s.first == 0x3a {
            return nil
        }
        while i < s.count {
            // An embedded IPv4 address takes the last 32 bits.
            if let dot = s[i...].firstIndex(of: 0x2e), !s[i..<dot].contains(0x3a) {
                guard let v4 = parseIPv4(s[i...]) else { return nil }
                let groups = [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                if seenGap { tail += groups } else { head += groups }
                i = s.count
                break
            }
            var group: UInt32 = 0
            let start = i
            while i < s.count, let d = hexValue(s[i]) {
                group = group << 4 | UInt32(d)
                i += 1
                if i - start > 4 { return nil }
            }
            if i == start { return nil }
            if seenGap { tail.append(UInt16(group)) } else { head.append(UInt16(group)) }
            if i == s.count { break }
            guard s[i] == 0x3a else { return nil }
            i += 1
            if i < s.count, s[i] == 0x3a {
                if seenGap { return nil }
                seenGap = true
                i += 1
            } else if i == s.count {
                return nil  // trailing single colon
            }
        }
        let total = head.count + tail.count
        if seenGap ? total > 7 : total != 8 { return nil }
        let groups = head + Array(repeating: 0, count: 8 - total) + tail
        var h: UInt64 = 0, l: UInt64 = 0
        for (n, g) in groups.enumerated() {
            if n < 4 { h = h << 16 | UInt64(g) } else { l = l << 16 | UInt64(g) }
        }
        return IPAddress(ipv6: h, l)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    /// Dotted quad for IPv4; RFC 5952 canonical text for IPv6 (lowercase,
    /// no leading zeros, the longest run of two or more zero groups as `::`,
    /// the first of equal runs). Written straight into the string's storage,
    /// with no array or string per group: every log line formats two to four
    /// addresses (bench/FINDINGS.md, "Log lines").
    public var description: String {
        String(unsafeUninitializedCapacity: 39) { out in
            var n = 0
            func put(_ c: UInt8) {
                out[n] = c
                n += 1
            }
            switch family {
            case .ipv4:
                for shift in stride(from: 24, through: 0, by: -8) {
                    let b = UInt8(truncatingIfNeeded: low >> UInt64(shift))
                    if shift != 24 { put(UInt8(ascii: ".")) }
                    if b >= 100 { put(0x30 + b / 100) }
                    if b >= 10 { put(0x30 + b / 10 % 10) }
                    put(0x30 + b % 10)
                }
            case .ipv6:
                let (start, length) = longestZeroRun()
                var i = 0
                while i < 8 {
                    if i == start {
                        put(UInt8(ascii: ":"))
                        put(UInt8(ascii: ":"))
                        i += length
                        continue
                    }
                    if i > 0, i != start + length { put(UInt8(ascii: ":")) }  // none right after "::"
                    let g = group(i)
                    var shift = 12
                    while shift > 0, g >> UInt16(shift) == 0 { shift -= 4 }
                    while shift >= 0 {
                        put(Self.hexDigits[Int(g >> UInt16(shift) & 0xf)])
                        shift -= 4
                    }
                    i += 1
                }
            }
            return n
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// IPv6 group `i` (0...7), most significant first.
    private func group(_ i: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i % 4)))
    }

    /// The first longest run of two or more zero groups: (start, length), or (-1, 0).
    private func longestZeroRun() -> (Int, Int) {
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { (bestStart, bestLength) = (runStart, i - runStart) }
                runStart = -1
            }
        }
        return bestLength < 2 ? (-1, 0) : (bestStart, bestLength)
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.family == .ipv4 ? 0 : 1, a.high, a.low) < (b.family == .ipv4 ? 0 : 1, b.high, b.low)
    }
}

public enum IPFamily: String, Sendable, Hashable, Codable, CaseIterable {
    case ipv4
    case ipv6

    public var addressLength: Int { self == .ipv4 ? 4 : 16 }
    public var bitWidth: Int { self == .ipv4 ? 32 : 128 }
}
