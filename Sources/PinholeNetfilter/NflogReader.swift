import CNetfilter
import PinholeCore

/// One packet copied by an nft `log group G` rule.
public struct NflogPacket: Sendable, Hashable {
    /// The rule's `prefix` (empty when it had none).
    public var prefix: String
    /// From the IP header on (copy range permitting).
    public var payload: [UInt8]
    /// Netfilter hook number (NF_INET_PRE_ROUTING = 0 ...), if the kernel said.
    public var hook: UInt8?
    /// From nfgenmsg: ipv4 or ipv6 (nil for other families, e.g. bridge).
    public var family: IPFamily?

    public init(prefix: String, payload: [UInt8], hook: UInt8? = nil, family: IPFamily? = nil) {
        self.prefix = prefix
        self.payload = payload
        self.hook = hook
        self.family = family
    }
}

/// Receives NFLOG copies over nfnetlink_log with libmnl (no libnetfilter_log).
/// Non-blocking: poll `fileDescriptor`, then `drain`.
public final class NflogReader {
    public let group: UInt16
    private let socket: NetlinkSocket
    private var buffer: [UInt8]

    /// Binds `group` (unbinding a stale bind first), copies whole packets, and
    /// delivers each at once (queue threshold 1, no timeout) into a socket
    /// buffer of `bufferBytes`.
    public init(group: UInt16, bufferBytes: Int = 8 << 20) throws(NetfilterError) {
        self.group = group
        socket = try NetlinkSocket(purpose: "NFLOG group \(group)")
        try socket.setReceiveBuffer(bytes: bufferBytes)
        socket.setReceiveTimeout(milliseconds: 5000)
        buffer = [UInt8](repeating: 0, count: 256 << 10)
        let context = "NFLOG group \(group)"
        // A stale bind from an earlier run of ours is harmless to drop; ENODEV when there was none.
        _ = try? configure([(UInt16(NFULA_CFG_CMD.rawValue), [UInt8(NFULNL_CFG_CMD_UNBIND.rawValue)])], operation: "unbind", context: context)
        do {
            try configure([(UInt16(NFULA_CFG_CMD.rawValue), [UInt8(NFULNL_CFG_CMD_BIND.rawValue)])], operation: "bind", context: context)
        } catch where error.code == EPERM || error.code == EBUSY {
            // The kernel's answer when another socket holds the group.
            var e = error
            e.detail = "group \(group) is bound by another process (another pinholed, or ulogd?), or this process lacks CAP_NET_ADMIN"
            throw e
        }
        // nfulnl_msg_config_mode: __be32 copy_range, __u8 copy_mode, __u8 pad.
        try configure([(UInt16(NFULA_CFG_MODE.rawValue), .be(UInt32(0xffff)) + [UInt8(NFULNL_COPY_PACKET), 0])],
                      operation: "set copy mode", context: context)
        try configure([(UInt16(NFULA_CFG_QTHRESH.rawValue), .be(UInt32(1))),
                       (UInt16(NFULA_CFG_TIMEOUT.rawValue), .be(UInt32(0)))],
                      operation: "set queue threshold 1, timeout 0", context: context)
        try socket.setNonBlocking()
    }

    deinit {
        // Best effort: the kernel drops the bind when the socket closes anyway.
        _ = try? configure([(UInt16(NFULA_CFG_CMD.rawValue), [UInt8(NFULNL_CFG_CMD_UNBIND.rawValue)])], operation: "unbind", context: nil, wait: false)
    }

    public var fileDescriptor: Int32 { socket.fileDescriptor }

    /// Kernel receive buffer in bytes (twice what was asked, as Linux reports it).
    public var receiveBufferBytes: Int { socket.receiveBufferBytes }

    /// Hands every queued packet to `body` without blocking.
    public func drain(_ body: (NflogPacket) -> Void) throws(NetfilterError) -> DrainResult {
        try NetlinkSocket.drain(fileDescriptor: socket.fileDescriptor, buffer: &buffer, operation: "read NFLOG group \(group)") { bytes in
            var n = 0
            for m in NetlinkMessage.parse(bytes) {
                if let p = Self.decode(m) { body(p); n += 1 }
            }
            return n
        }
    }

    /// Reads and throws away every copy queued now, without blocking; returns
    /// how many datagrams. After an overflow they are older than the resync
    /// that replaces them. Bounded: a full 16 MiB buffer holds far fewer, and
    /// a flood that never lets the socket empty must not keep us here.
    public func discardBacklog(maxReads: Int = 1 << 16) throws(NetfilterError) -> Int {
        try NetlinkSocket.drain(fileDescriptor: socket.fileDescriptor, buffer: &buffer, maxReads: maxReads,
                                operation: "discard NFLOG group \(group) backlog") { _ in 1 }.delivered
    }

    /// An NFULNL_MSG_PACKET message as a packet; nil for anything else.
    static func decode(_ m: NetlinkMessage) -> NflogPacket? {
        guard m.nfSubsystem == UInt8(NFNL_SUBSYS_ULOG), m.nfMessageType == UInt8(NFULNL_MSG_PACKET.rawValue),
              m.payload.count >= 4 else { return nil }
        let attrs = m.nfAttributes
        guard let payload = attrs.first(NFULA_PAYLOAD.rawValue) else { return nil }
        let family: IPFamily? = switch Int32(m.payload.first!) {
        case AF_INET: .ipv4
        case AF_INET6: .ipv6
        default: nil
        }
        // nfulnl_msg_packet_hdr: __be16 hw_protocol, __u8 hook, __u8 pad.
        let hook = attrs.first(NFULA_PACKET_HDR.rawValue).flatMap { $0.value.count >= 3 ? $0.value[$0.value.startIndex + 2] : nil }
        return NflogPacket(prefix: attrs.first(NFULA_PREFIX.rawValue)?.string ?? "", payload: Array(payload.value),
                           hook: hook, family: family)
    }

    /// One NFULNL_MSG_CONFIG request for our group, ACK checked (unless `wait` is false).
    private func configure(_ attributes: [(UInt16, [UInt8])], operation: String, context: String?, wait: Bool = true) throws(NetfilterError) {
        try socket.configure(subsystem: UInt16(NFNL_SUBSYS_ULOG), messageType: UInt16(NFULNL_MSG_CONFIG.rawValue),
                             resourceID: group, attributes, buffer: &buffer, operation: "NFLOG \(operation)",
                             context: context, wait: wait)
    }
}
