import PinholeCore
import Yams

/// Typed values. Each returns nil after reporting what is wrong and what is allowed.
extension PolicyReader {
    /// A plain (unquoted) scalar's text, or nil for lists, mappings and quoted strings.
    private func plainText(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return nil }
        return scalar.string
    }

    /// Any scalar's text (quoted or not); nil for lists, mappings and empty values.
    func text(_ node: Node, path: String, what: String) -> String? {
        guard case .scalar(let scalar) = node, !(node.null != nil && plainText(node) != nil) else {
            error(node, "\(path): expected \(what), found \(describe(node))")
            return nil
        }
        return scalar.string
    }

    /// A decimal integer written without quotes or sign, within `range`.
    func integer(_ node: Node, path: String, range: ClosedRange<Int>) -> Int? {
        let allowed = "an integer \(range.lowerBound)-\(range.upperBound)"
        // Digits only ("+5" is refused); a minus sign is read, to say "out of range".
        let digits = plainText(node).map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 } ?? ""
        guard !digits.isEmpty, digits.utf8.allSatisfy(PolicyReader.isDigit), let text = plainText(node), let value = Int(text) else {
            error(node, "\(path): expected \(allowed), found \(describe(node))")
            return nil
        }
        guard range.contains(value), !text.hasPrefix("-") else {
            error(node, "\(path): \(text) is out of range; allowed: \(allowed)")
            return nil
        }
        return value
    }

    func port(_ node: Node, path: String) -> UInt16? {
        integer(node, path: path, range: 1...65535).map { UInt16($0) }
    }

    /// `true` or `false`, unquoted. YAML 1.1's yes/no/on/off are refused:
    /// they surprise people more often than they help.
    func boolean(_ node: Node, path: String) -> Bool? {
        switch plainText(node)?.lowercased() {
        case "true"?: return true
        case "false"?: return false
        default:
            error(node, "\(path): expected true or false, found \(describe(node))")
            return nil
        }
    }

    /// An nftables identifier: a table or set name.
    func nftIdentifier(_ node: Node, path: String, what: String) -> String? {
        guard let name = text(node, path: path, what: what) else { return nil }
        guard PolicyReader.isNftIdentifier(name) else {
            error(node, "\(path): \"\(name)\" is not a valid \(what); use a letter followed by up to 31 letters, digits or underscores")
            return nil
        }
        return name
    }

    static func isNftIdentifier(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 32, isLetter(first) else { return false }
        return bytes.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// `LOW-HIGH` or a single port, inside 1024-65535.
    func dataPorts(_ node: Node, path: String) -> PortRange? {
        let floor = Int(PolicyDefaults.lowestDataPort)
        let allowed = "data ports must be within \(floor)-65535"
        guard case .scalar(let scalar) = node else {
            error(node, "\(path): expected a port range \"LOW-HIGH\" or a single port, found \(describe(node)); \(allowed)")
            return nil
        }
        let text = scalar.string
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        let numbers = parts.map { part -> Int? in
            guard !part.isEmpty, part.count <= 5, part.utf8.allSatisfy(PolicyReader.isDigit) else { return nil }
            return Int(part)
        }
        guard (1...2).contains(parts.count), let low = numbers[0], let high = numbers[numbers.count - 1] else {
            error(node, "\(path): \"\(text)\" is not a port range; write \"LOW-HIGH\" (e.g. \"50000-51000\") or a single port; \(allowed)")
            return nil
        }
        // Both ends are checked against the bounds before the order, so the
        // swapped range suggested below is always itself valid.
        if min(low, high) < floor {
            error(node, "\(path): \"\(text)\" \(low < floor ? "starts" : "ends") below \(floor); \(allowed)")
            return nil
        }
        if max(low, high) > 65535 {
            error(node, "\(path): \"\(text)\" \(high > 65535 ? "ends" : "starts") above 65535; \(allowed)")
            return nil
        }
        guard low <= high, let range = PortRange(lower: UInt16(low), upper: UInt16(high)) else {
            error(node, "\(path): \"\(text)\" has its low end above its high end; write \"\(high)-\(low)\"")
            return nil
        }
        return range
    }

    /// `1500ms`, `30s`, `2m`, `1h`, or a bare number of seconds; in milliseconds.
    func duration(_ node: Node, path: String, range: ClosedRange<UInt64>) -> UInt64? {
        let allowed = "allowed: \(PolicyReader.formatDuration(range.lowerBound))-\(PolicyReader.formatDuration(range.upperBound))"
        guard case .scalar(let scalar) = node, let ms = PolicyReader.parseDuration(scalar.string) else {
            error(node, "\(path): \(describe(node)) is not a duration; write a whole number with a unit ms, s, m or h (e.g. \"30s\"), or a bare number of seconds; \(allowed)")
            return nil
        }
        guard range.contains(ms) else {
            let side = ms < range.lowerBound ? "below" : "above"
            let limit = ms < range.lowerBound ? range.lowerBound : range.upperBound
            error(node, "\(path): \"\(scalar.string)\" is \(side) \(PolicyReader.formatDuration(limit)); \(allowed)")
            return nil
        }
        return ms
    }

    static func parseDuration(_ text: String) -> UInt64? {
        let units: [(suffix: String, ms: UInt64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        let trimmed = text.trimmingSpaces
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let suffix = trimmed.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 9, let value = UInt64(digits) else { return nil }
        if suffix.isEmpty { return value * 1000 }
        guard let unit = units.first(where: { $0.suffix == suffix }) else { return nil }
        return value * unit.ms
    }

    static func formatDuration(_ ms: UInt64) -> String {
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    /// An address or prefix. Host bits set is refused with the prefix that was probably meant.
    func prefix(_ node: Node, path: String) -> IPPrefix? {
        guard let text = text(node, path: path, what: "an address or prefix") else { return nil }
        if let prefix = IPPrefix(text.trimmingSpaces) { return prefix }
        let parts = text.trimmingSpaces.split(separator: "/", omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else {
            error(node, "\(path): \"\(text)\" is not an IPv4 or IPv6 address or prefix (e.g. 198.51.100.10, 198.51.100.0/24, 2001:db8::/32)")
            return nil
        }
        let width = address.family.bitWidth
        // Digits only: Int("+24") is 24, but IPPrefix refused "+24", so it must
        // not come back as a host-bits error suggesting the same prefix.
        guard parts.count == 2, !parts[1].isEmpty, parts[1].utf8.allSatisfy(PolicyReader.isDigit),
              let length = Int(parts[1]), (0...width).contains(length) else {
            error(node, "\(path): \"\(text)\" has a bad prefix length; an \(address.family == .ipv4 ? "IPv4" : "IPv6") prefix length is 0-\(width)")
            return nil
        }
        let meant = IPPrefix.hostBitsCleared(address, length)
        error(node, "\(path): \"\(text)\" has host bits set; did you mean \(meant.address)/\(length)?")
        return nil
    }
}

extension IPPrefix {
    /// `address/length` with the bits after `length` set to zero.
    static func hostBitsCleared(_ address: IPAddress, _ length: Int) -> IPPrefix {
        var bytes = address.bytes
        for i in bytes.indices {
            let keep = max(0, min(8, length - i * 8))
            bytes[i] &= keep == 0 ? 0 : ~UInt8(0) << UInt8(8 - keep)
        }
        return IPPrefix(address: IPAddress(bytes: bytes)!, length: length)!
    }

    func overlaps(_ other: IPPrefix) -> Bool { contains(other.address) || other.contains(address) }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
