/// An address prefix such as `198.51.100.0/24` or `2001:db8::/32`; a bare
/// address is a prefix of full length.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    /// Fails when the length is out of range or host bits are set
    /// (`198.51.100.1/24` is almost always a typo, so it is refused).
    public init?(address: IPAddress, length: Int) {
        guard length >= 0, length <= address.family.bitWidth else { return nil }
        self.address = address
        self.length = length
        guard IPPrefix.masked(address, length) == address else { return nil }
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let addr = IPAddress(String(parts[0])) else { return nil }
        var len = addr.family.bitWidth
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = Int(digits) else { return nil }
            len = n
        }
        self.init(address: addr, length: len)
    }

    public var family: IPFamily { address.family }

    public func contains(_ other: IPAddress) -> Bool {
        other.family == address.family && IPPrefix.masked(other, length) == address
    }

    static func masked(_ a: IPAddress, _ length: Int) -> IPAddress {
        switch a.family {
        case .ipv4:
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return IPAddress(ipv4: a.ipv4Value & mask)
        case .ipv6:
            let hm: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
            let lm: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return IPAddress(ipv6: a.high & hm, a.low & lm)
        }
    }

    public var description: String {
        length == address.family.bitWidth ? address.description : "\(address)/\(length)"
    }
}
