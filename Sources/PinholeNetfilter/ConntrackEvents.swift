import CNetfilter
import PinholeCore

/// Which TCP connections' conntrack events reach user space.
public struct ConntrackFilter: Sendable, Hashable {
    /// Original-direction destinations (the protected servers).
    public var destinations: [IPPrefix]
    /// Original-direction sources (servers that open active-mode data connections).
    public var sources: [IPPrefix]
    /// When not empty, DESTROY (and UPDATE) events pass only for connections
    /// to these original destination ports (the control connections); NEW
    /// events pass for every connection. A data connection's later events
    /// change nothing, and each one would wake the daemon mid-transfer.
    public var controlPorts: [UInt16]

    public init(destinations: [IPPrefix], sources: [IPPrefix] = [], controlPorts: [UInt16] = []) {
        self.destinations = destinations
        self.sources = sources
        self.controlPorts = controlPorts
    }

    /// The same test the kernel filters apply, for dumps and as a safety net.
    public func matches(source: IPAddress, destination: IPAddress) -> Bool {
        destinations.contains { $0.contains(destination) } || sources.contains { $0.contains(source) }
    }
}

/// Owns one libnetfilter_conntrack handle (`nfct_open` / `nfct_close`).
final class ConntrackHandle {
    let pointer: OpaquePointer
    var fileDescriptor: Int32 { nfct_fd(pointer) }

    init(groups: UInt32, purpose: String) throws(NetfilterError) {
        guard let h = nfct_open(UInt8(NFNL_SUBSYS_CTNETLINK), groups) else { throw .fromErrno("open conntrack socket for \(purpose)") }
        pointer = h
    }

    deinit { nfct_close(pointer) }

    /// SO_RCVBUFFORCE on the handle's socket (SO_RCVBUF if not permitted).
    func setReceiveBuffer(bytes: Int) throws(NetfilterError) {
        var size = Int32(clamping: bytes)
        let len = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVBUFFORCE, &size, len) == 0 { return }
        guard setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVBUF, &size, len) == 0 else {
            throw .fromErrno("set conntrack receive buffer to \(bytes) bytes")
        }
    }
}

/// Conntrack NEW and DESTROY events for TCP connections to (or from) the
/// given prefixes, filtered in the kernel by `ConntrackSocketFilter` (one
/// socket handles destinations and sources, IPv4 and IPv6, so events keep
/// their order). Non-blocking: poll `fileDescriptor`, then `drain`.
///
/// Not UPDATE: while any socket listens to that group, the kernel builds a
/// message for every state change of every connection through the firewall
/// (about six per TCP connection, in the packet path) before a socket filter
/// can drop it; measured, that cost one-session FTP transfers 3-5%
/// (bench/FINDINGS.md). A session closes on its copied FIN or RST instead;
/// DESTROY, and the dump after lost events or copies, are the fallback.
public final class ConntrackEvents {
    public let filter: ConntrackFilter
    private let handle: ConntrackHandle
    private var bufferBytes: Int
    private var buffer: [UInt8]
    /// Messages read from the sockets before the Swift-side filter (to check the kernel filter).
    private(set) var receivedMessages = 0
    static let maxBufferBytes = 256 << 20

    public init(filter: ConntrackFilter, bufferBytes: Int = 32 << 20) throws(NetfilterError) {
        self.filter = filter
        buffer = [UInt8](repeating: 0, count: 256 << 10)
        self.bufferBytes = bufferBytes
        let groups = UInt32(NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_DESTROY)
        handle = try ConntrackHandle(groups: groups, purpose: "events")
        try handle.setReceiveBuffer(bytes: bufferBytes)
        try ConntrackSocketFilter(filter).attach(to: handle.fileDescriptor)
        guard cnf_set_nonblocking(handle.fileDescriptor) == 0 else { throw .fromErrno("set conntrack socket O_NONBLOCK") }
    }

    public var fileDescriptor: Int32 { handle.fileDescriptor }
    /// All descriptors to poll (one today; kept as a list so the API survives a split).
    public var fileDescriptors: [Int32] { [handle.fileDescriptor] }

    /// Hands every queued event to `body` without blocking. On ENOBUFS
    /// (`overflowed`) events were lost: the socket buffer is doubled and the
    /// caller must resync from `dump()`.
    public func drain(_ body: (ConntrackEvent) -> Void) throws(NetfilterError) -> DrainResult {
        let r = try NetlinkSocket.drain(fileDescriptor: handle.fileDescriptor, buffer: &buffer, operation: "read conntrack events") { bytes in
            var n = 0
            for m in NetlinkMessage.parse(bytes) {
                receivedMessages += 1
                // The kernel filter already did this; checked again so a filter bug cannot leak other flows.
                guard let e = Self.decode(m, in: bytes), filter.matches(source: e.source, destination: e.destination) else { continue }
                body(e)
                n += 1
            }
            return n
        }
        if r.overflowed {
            let grown = min(bufferBytes * 2, Self.maxBufferBytes)
            if grown > bufferBytes {
                try handle.setReceiveBuffer(bytes: grown)
                bufferBytes = grown
            }
        }
        return r
    }

    /// One ctnetlink event message, parsed into a fresh `nf_conntrack`
    /// (`nfct_nlmsg_parse` does not clear attributes from an earlier message).
    static func decode(_ m: NetlinkMessage, in bytes: ArraySlice<UInt8>) -> ConntrackEvent? {
        guard m.nfSubsystem == UInt8(NFNL_SUBSYS_CTNETLINK) else { return nil }
        let kind: ConntrackEvent.Kind
        switch UInt32(m.nfMessageType) {
        case IPCTNL_MSG_CT_NEW.rawValue:
            kind = m.flags & UInt16(NLM_F_CREATE | NLM_F_EXCL) != 0 ? .new : .update
        case IPCTNL_MSG_CT_DELETE.rawValue:
            kind = .destroy
        default:
            return nil
        }
        guard let ct = nfct_new() else { return nil }
        defer { nfct_destroy(ct) }
        let parsed = m.bytes.withUnsafeBytes { raw in
            nfct_nlmsg_parse(raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self), ct)
        }
        guard parsed >= 0 else { return nil }
        return event(from: ct, kind: kind)
    }

    /// The original tuple and TCP state of a parsed entry; nil unless TCP.
    static func event(from ct: OpaquePointer, kind: ConntrackEvent.Kind) -> ConntrackEvent? {
        guard nfct_attr_is_set(ct, ATTR_ORIG_L4PROTO) > 0, nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) == UInt8(IPPROTO_TCP),
              nfct_attr_is_set(ct, ATTR_ORIG_L3PROTO) > 0 else { return nil }
        let src: IPAddress?, dst: IPAddress?
        switch Int32(nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO)) {
        case AF_INET:
            // Stored in network byte order.
            src = IPAddress(ipv4: UInt32(bigEndian: nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC)))
            dst = IPAddress(ipv4: UInt32(bigEndian: nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST)))
        case AF_INET6:
            src = ipv6(ct, ATTR_ORIG_IPV6_SRC)
            dst = ipv6(ct, ATTR_ORIG_IPV6_DST)
        default:
            return nil
        }
        guard let src, let dst else { return nil }
        let state = nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0 ? TCPConntrackState(rawValue: nfct_get_attr_u8(ct, ATTR_TCP_STATE)) : nil
        return ConntrackEvent(kind: kind, source: src, destination: dst,
                              sourcePort: UInt16(bigEndian: nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC)),
                              destinationPort: UInt16(bigEndian: nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST)),
                              tcpState: state)
    }

    private static func ipv6(_ ct: OpaquePointer, _ attr: nf_conntrack_attr) -> IPAddress? {
        guard nfct_attr_is_set(ct, attr) > 0, let p = nfct_get_attr(ct, attr) else { return nil }
        return IPAddress(bytes: UnsafeRawBufferPointer(start: p, count: 16))
    }

    /// Every TCP conntrack entry matching the filter (kind `.existing`), from a
    /// separate, blocking dump handle so no event is mixed in.
    public func dump() throws(NetfilterError) -> [ConntrackEvent] {
        let h = try ConntrackHandle(groups: 0, purpose: "dump")
        let box = DumpBox()
        let cb: @convention(c) (nf_conntrack_msg_type, OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { _, ct, data in
            guard let ct, let data else { return Int32(NFCT_CB_CONTINUE) }
            let box = Unmanaged<DumpBox>.fromOpaque(data).takeUnretainedValue()
            if let e = ConntrackEvents.event(from: ct, kind: .existing) { box.events.append(e) }
            return Int32(NFCT_CB_CONTINUE)
        }
        let ctx = Unmanaged.passUnretained(box).toOpaque()
        guard nfct_callback_register(h.pointer, NFCT_T_ALL, cb, ctx) == 0 else { throw .fromErrno("register conntrack dump callback") }
        var family = UInt32(AF_UNSPEC)
        let rc = withExtendedLifetime(box) { nfct_query(h.pointer, NFCT_Q_DUMP, &family) }
        guard rc == 0 else { throw .fromErrno("dump conntrack table") }
        return box.events.filter { filter.matches(source: $0.source, destination: $0.destination) }
    }
}

/// Collects dump results inside the C callback (same thread, synchronous).
private final class DumpBox {
    var events: [ConntrackEvent] = []
}
