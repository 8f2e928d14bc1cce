import CNetfilter

/// A packet held in an NFQUEUE until we give its verdict.
public struct QueuedPacket: Sendable, Hashable {
    /// The kernel's id for the verdict.
    public var id: UInt32
    /// From the IP header on, at most the copy range.
    public var payload: [UInt8]
    /// Netfilter hook number, if the kernel said.
    public var hook: UInt8?

    public init(id: UInt32, payload: [UInt8], hook: UInt8? = nil) {
        self.id = id
        self.payload = payload
        self.hook = hook
    }
}

public enum Verdict: Sendable, Hashable {
    case accept, drop
    /// No verdict yet: the packet stays queued in the kernel until `send(_:id:)`.
    case later

    var netfilterValue: UInt32 {
        switch self {
        case .accept: return UInt32(NF_ACCEPT)
        case .drop: return UInt32(NF_DROP)
        case .later: return UInt32(NF_DROP)  // never sent: `later` sends nothing
        }
    }
}

/// Holds packets from an nft `queue num N` rule (nfnetlink_queue over libmnl)
/// for the SYN-hold race guard. Fail closed: NFQA_CFG_F_FAIL_OPEN is cleared,
/// so when the queue is full or nobody listens the packets are dropped.
/// Non-blocking: poll `fileDescriptor`, then `drain`.
public final class QueueReader {
    public let queue: UInt16
    private let socket: NetlinkSocket
    private var buffer: [UInt8]

    /// The default copy range. The verdict needs the IP and TCP headers only
    /// (decoded with `PacketCopy.headers`), not the payload a data SYN may
    /// carry (TCP Fast Open). IPv4 headers and a TCP header with all options
    /// take at most 60 + 60 bytes; IPv6 takes 40 + 60 plus its extension
    /// headers, each up to 2048 bytes, so no copy range short of the packet
    /// covers every chain. 512 leaves 352 bytes of extension headers before
    /// a maximal TCP header (say a hop-by-hop and a destination options
    /// header, or a segment routing header of 21 addresses); a SYN whose
    /// headers run past the copy range is dropped (fail closed). A copy costs
    /// socket buffer only while unread, and only SYNs that missed every
    /// pinhole are queued (rate-limited by the queue rule).
    public static let defaultCopyBytes: UInt32 = 512

    /// Binds queue `queue`, copying `copyBytes` of each packet.
    public init(queue: UInt16, copyBytes: UInt32 = QueueReader.defaultCopyBytes, bufferBytes: Int = 4 << 20) throws(NetfilterError) {
        self.queue = queue
        socket = try NetlinkSocket(purpose: "NFQUEUE \(queue)")
        try socket.setReceiveBuffer(bytes: bufferBytes)
        socket.setReceiveTimeout(milliseconds: 5000)
        buffer = [UInt8](repeating: 0, count: 256 << 10)
        let context = "NFQUEUE \(queue)"
        // nfqnl_msg_config_cmd: __u8 command, __u8 pad, __be16 pf (unused for BIND on current kernels).
        try configure([(UInt16(NFQA_CFG_CMD.rawValue), [UInt8(NFQNL_CFG_CMD_BIND.rawValue), 0, 0, 0])], operation: "bind", context: context)
        // nfqnl_msg_config_params (packed): __be32 copy_range, __u8 copy_mode.
        try configure([(UInt16(NFQA_CFG_PARAMS.rawValue), .be(copyBytes) + [UInt8(NFQNL_COPY_PACKET.rawValue)]),
                       // Explicitly fail closed: mask FAIL_OPEN, value 0.
                       (UInt16(NFQA_CFG_MASK.rawValue), .be(UInt32(NFQA_CFG_F_FAIL_OPEN))),
                       (UInt16(NFQA_CFG_FLAGS.rawValue), .be(UInt32(0)))],
                      operation: "set copy mode, fail closed", context: context)
        try socket.setNonBlocking()
    }

    public var fileDescriptor: Int32 { socket.fileDescriptor }

    /// Gives every queued packet to `body` and sends its verdict (one sendto
    /// per received datagram). Never blocks.
    public func drain(_ body: (QueuedPacket) -> Verdict) throws(NetfilterError) -> DrainResult {
        var sendError: NetfilterError?
        let result = try NetlinkSocket.drain(fileDescriptor: socket.fileDescriptor, buffer: &buffer, operation: "read NFQUEUE \(queue)") { bytes in
            var verdicts: [UInt8] = []
            var n = 0
            for m in NetlinkMessage.parse(bytes) {
                guard let p = Self.decode(m) else { continue }
                let v = body(p)
                if v != .later { verdicts += verdictMessage(id: p.id, v) }
                n += 1
            }
            if !verdicts.isEmpty, sendError == nil {
                do throws(NetfilterError) { try socket.send(verdicts, operation: "send NFQUEUE \(queue) verdicts") } catch { sendError = error }
            }
            return n
        }
        if let sendError { throw sendError }
        return result
    }

    /// The verdict for a packet held back with `.later`.
    public func send(_ verdict: Verdict, id: UInt32) throws(NetfilterError) {
        guard verdict != .later else { return }
        try socket.send(verdictMessage(id: id, verdict), operation: "send NFQUEUE \(queue) verdict")
    }

    /// An NFQNL_MSG_PACKET message as a packet; nil for anything else.
    static func decode(_ m: NetlinkMessage) -> QueuedPacket? {
        guard m.nfSubsystem == UInt8(NFNL_SUBSYS_QUEUE), m.nfMessageType == UInt8(NFQNL_MSG_PACKET.rawValue) else { return nil }
        let attrs = m.nfAttributes
        // nfqnl_msg_packet_hdr: __be32 packet_id, __be16 hw_protocol, __u8 hook.
        guard let hdr = attrs.first(NFQA_PACKET_HDR.rawValue), let id = hdr.be32 else { return nil }
        let hook = hdr.value.count >= 7 ? hdr.value[hdr.value.startIndex + 6] : nil
        return QueuedPacket(id: id, payload: attrs.first(NFQA_PAYLOAD.rawValue).map { Array($0.value) } ?? [], hook: hook)
    }

    /// NFQNL_MSG_VERDICT with nfqnl_msg_verdict_hdr (__be32 verdict, __be32 id), no ACK.
    func verdictMessage(id: UInt32, _ verdict: Verdict) -> [UInt8] {
        var b = NetlinkMessageBuilder(type: cnf_nfnl_msg_type(UInt16(NFNL_SUBSYS_QUEUE), UInt16(NFQNL_MSG_VERDICT.rawValue)),
                                      flags: 0, sequence: socket.nextSequence(), family: UInt8(AF_UNSPEC), resourceID: queue)
        b.attribute(UInt16(NFQA_VERDICT_HDR.rawValue), .be(verdict.netfilterValue) + .be(id))
        return b.finish()
    }

    private func configure(_ attributes: [(UInt16, [UInt8])], operation: String, context: String) throws(NetfilterError) {
        try socket.configure(subsystem: UInt16(NFNL_SUBSYS_QUEUE), messageType: UInt16(NFQNL_MSG_CONFIG.rawValue),
                             resourceID: queue, attributes, buffer: &buffer, operation: "NFQUEUE \(operation)", context: context)
    }
}
