import CNetfilter

/// One netlink message inside a received (or built) buffer. Slices keep the
/// indices of the buffer they came from, so offsets stay meaningful.
struct NetlinkMessage {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    var portID: UInt32
    /// The whole message, header included.
    var bytes: ArraySlice<UInt8>
    /// Everything after the 16-byte header.
    var payload: ArraySlice<UInt8> { bytes.dropFirst(16) }

    /// For netfilter messages: the subsystem's message type (low byte).
    var nfMessageType: UInt8 { UInt8(type & 0xff) }
    var nfSubsystem: UInt8 { UInt8(type >> 8) }

    /// Attributes that follow the nfgenmsg header of a netfilter message.
    var nfAttributes: [NetlinkAttribute] { NetlinkAttribute.parse(payload.dropFirst(4)) }

    /// Splits a buffer into messages; stops at the first malformed length.
    static func parse(_ buffer: ArraySlice<UInt8>) -> [NetlinkMessage] {
        var out: [NetlinkMessage] = []
        var i = buffer.startIndex
        while buffer.endIndex - i >= 16 {
            let len = Int(buffer.u32(at: i))
            guard len >= 16, len <= buffer.endIndex - i else { break }
            out.append(NetlinkMessage(type: buffer.u16(at: i + 4), flags: buffer.u16(at: i + 6),
                                      sequence: buffer.u32(at: i + 8), portID: buffer.u32(at: i + 12),
                                      bytes: buffer[i..<(i + len)]))
            i += netlinkAlign(len)
        }
        return out
    }
}

/// A netlink attribute (type, value), with its position in the original buffer.
struct NetlinkAttribute {
    /// Type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits.
    var type: UInt16
    /// The whole attribute (header included), for offsets.
    var bytes: ArraySlice<UInt8>
    var value: ArraySlice<UInt8> { bytes.dropFirst(4) }
    var nested: [NetlinkAttribute] { NetlinkAttribute.parse(value) }

    /// Big-endian integers, as netfilter puts them on the wire.
    var be16: UInt16? { value.count >= 2 ? value.be16(at: value.startIndex) : nil }
    var be32: UInt32? { value.count >= 4 ? value.be32(at: value.startIndex) : nil }
    var be64: UInt64? {
        guard value.count >= 8 else { return nil }
        return UInt64(value.be32(at: value.startIndex)) << 32 | UInt64(value.be32(at: value.startIndex + 4))
    }
    var u8: UInt8? { value.first }
    /// NUL-terminated string value.
    var string: String {
        let raw = value.prefix { $0 != 0 }
        return String(decoding: raw, as: UTF8.self)
    }

    static func parse(_ buffer: ArraySlice<UInt8>) -> [NetlinkAttribute] {
        var out: [NetlinkAttribute] = []
        var i = buffer.startIndex
        while buffer.endIndex - i >= 4 {
            let len = Int(buffer.u16(at: i))
            guard len >= 4, len <= buffer.endIndex - i else { break }
            out.append(NetlinkAttribute(type: buffer.u16(at: i + 2) & ~UInt16(NLA_F_NESTED | NLA_F_NET_BYTEORDER), bytes: buffer[i..<(i + len)]))
            i += netlinkAlign(len)
        }
        return out
    }
}

extension Array where Element == NetlinkAttribute {
    func first(_ type: UInt16) -> NetlinkAttribute? { first { $0.type == type } }
    func first(_ type: Int32) -> NetlinkAttribute? { first(UInt16(type)) }
    func first(_ type: UInt32) -> NetlinkAttribute? { first(UInt16(type)) }
}

/// Builds netfilter messages (nlmsghdr + nfgenmsg + attributes) in Swift, for
/// the simple configuration and verdict messages of NFLOG and NFQUEUE.
struct NetlinkMessageBuilder {
    private(set) var bytes: [UInt8] = []

    /// `type` is the full nlmsg_type (subsystem << 8 | message); `resourceID` goes big-endian into nfgenmsg.
    init(type: UInt16, flags: UInt16, sequence: UInt32, family: UInt8, resourceID: UInt16) {
        bytes.reserveCapacity(64)
        bytes.appendHost(UInt32(0))  // length, patched by `finish`
        bytes.appendHost(type)
        bytes.appendHost(flags | UInt16(NLM_F_REQUEST))
        bytes.appendHost(sequence)
        bytes.appendHost(UInt32(0))  // port id 0: the kernel fills it in
        bytes += [family, UInt8(NFNETLINK_V0)]
        bytes.appendBE(resourceID)
    }

    mutating func attribute(_ type: UInt16, _ value: [UInt8]) {
        bytes.appendHost(UInt16(4 + value.count))
        bytes.appendHost(type)
        bytes += value
        bytes += [UInt8](repeating: 0, count: netlinkAlign(value.count) - value.count)
    }

    mutating func attribute(_ type: Int32, _ value: [UInt8]) { attribute(UInt16(type), value) }
    mutating func attribute(_ type: UInt32, _ value: [UInt8]) { attribute(UInt16(type), value) }

    /// The finished message with its length filled in.
    func finish() -> [UInt8] {
        var out = bytes
        let len = UInt32(out.count)
        withUnsafeBytes(of: len) { for (k, b) in $0.enumerated() { out[k] = b } }
        return out
    }
}

/// Netlink's 4-byte alignment (NLMSG_ALIGN / NLA_ALIGN).
@inline(__always) func netlinkAlign(_ n: Int) -> Int { (n + 3) & ~3 }

extension Collection where Element == UInt8, Index == Int {
    /// Host-order (netlink header) integers.
    func u16(at i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func u32(at i: Int) -> UInt32 { UInt32(u16(at: i)) | UInt32(u16(at: i + 2)) << 16 }
    func i32(at i: Int) -> Int32 { Int32(bitPattern: u32(at: i)) }
    /// Network-order (attribute value) integers.
    func be16(at i: Int) -> UInt16 { UInt16(self[i]) << 8 | UInt16(self[i + 1]) }
    func be32(at i: Int) -> UInt32 { UInt32(be16(at: i)) << 16 | UInt32(be16(at: i + 2)) }
}

extension Array where Element == UInt8 {
    mutating func appendHost<T: FixedWidthInteger>(_ v: T) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func appendBE<T: FixedWidthInteger>(_ v: T) { Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0) } }
    static func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { var a: [UInt8] = []; a.appendBE(v); return a }
}

/// A decoded NLMSG_ERROR: errno 0 is an ACK.
struct NetlinkAck {
    /// Positive errno, 0 for success.
    var errno: Int32
    /// Sequence number of the request this answers.
    var sequence: UInt32
    /// NLMSGERR_ATTR_OFFS: offset of the bad attribute inside the request, if the kernel said.
    var badAttributeOffset: Int?
    /// NLMSGERR_ATTR_MSG: the kernel's extended-ack text, if any.
    var message: String?

    init?(_ m: NetlinkMessage) {
        guard m.type == UInt16(NLMSG_ERROR), m.payload.count >= 4 + 16 else { return nil }
        let p = m.payload
        errno = -p.i32(at: p.startIndex)
        let inner = p.dropFirst(4)
        sequence = inner.u32(at: inner.startIndex + 8)
        // The echoed request is just its header with NETLINK_CAP_ACK (NLM_F_CAPPED), else the whole message.
        let echoed = m.flags & UInt16(NLM_F_CAPPED) != 0 ? 16 : netlinkAlign(Int(inner.u32(at: inner.startIndex)))
        if m.flags & UInt16(NLM_F_ACK_TLVS) != 0, inner.count >= echoed {
            let tlvs = NetlinkAttribute.parse(inner.dropFirst(echoed))
            if let off = tlvs.first(UInt16(NLMSGERR_ATTR_OFFS.rawValue)), off.value.count >= 4 {
                badAttributeOffset = Int(off.value.u32(at: off.value.startIndex))
            }
            if let msg = tlvs.first(UInt16(NLMSGERR_ATTR_MSG.rawValue)) { message = msg.string }
        }
    }
}
