import CNetfilter
import PinholeCore

/// What attach mode needs to know about a user's set.
public struct SetInfo: Sendable, Hashable {
    /// Bytes per key: 12 for `ipv4_addr . ipv4_addr . inet_service`, 36 for the ipv6 one.
    public var keyLength: Int
    /// nft's key type id (concatenations pack 6 bits per field).
    public var keyType: UInt32
    /// NFT_SET_* flags.
    public var flags: UInt32
    public var hasTimeout: Bool { flags & UInt32(NFT_SET_TIMEOUT.rawValue) != 0 }

    public init(keyLength: Int, keyType: UInt32, flags: UInt32) {
        self.keyLength = keyLength
        self.keyType = keyType
        self.flags = flags
    }
}

/// Writes and reads set elements over NETLINK_NETFILTER (libnftnl + libmnl).
/// Synchronous: each call sends and reads every reply before returning.
public final class SetElementWriter {
    private let socket: NetlinkSocket
    private var buffer: [UInt8]
    /// The largest batch the send buffer was sized for (nft's mnl_set_sndbuffer does the same).
    private var sendBufferFits = 0

    public init() throws(NetfilterError) {
        socket = try NetlinkSocket(purpose: "nftables set elements")
        // Big enough that per-message ACKs of a large batch never overflow (NETLINK-NOTES).
        try socket.setReceiveBuffer(bytes: 4 << 20)
        socket.setNetlinkOption(NETLINK_EXT_ACK)  // the kernel says which element failed
        socket.setNetlinkOption(NETLINK_CAP_ACK)  // errors echo only the header, not our whole batch
        socket.setReceiveTimeout(milliseconds: 5000)
        buffer = [UInt8](repeating: 0, count: max(Int(cnf_mnl_socket_buffer_size()), 256 << 10))
    }

    /// The socket, for callers that want to poll it (nothing arrives unasked).
    public var fileDescriptor: Int32 { socket.fileDescriptor }

    /// One batch (BATCH_BEGIN, messages, BATCH_END) with all `deletes`
    /// (NFT_MSG_DESTROYSETELEM: idempotent) then all `adds` (NFT_MSG_NEWSETELEM,
    /// NLM_F_CREATE: re-adding refreshes the timeout). All or nothing: on error
    /// nothing is committed and the error names the element, set and table
    /// (and carries the element in `element` when the kernel pinpointed it).
    /// `afterSend` runs once the kernel has processed the batch, committed or
    /// refused (sendto on netlink returns after that), and before its ACKs are
    /// read, which say which; it must not use this writer.
    public func apply(adds: [ElementChange], deletes: [ElementChange],
                      afterSend: (() -> Void)? = nil) throws(NetfilterError) {
        if adds.isEmpty && deletes.isEmpty { return }
        let batch = try SetElementBatch(adds: adds, deletes: deletes, firstSequence: socket.nextSequence())
        socket.sequence = batch.endSequence
        if batch.bytes.count > sendBufferFits {
            // A full resync of 20,000 pinholes is ~3 MiB; the default is 208 KiB.
            try socket.setSendBuffer(bytes: max(batch.bytes.count, 1 << 20))
            sendBufferFits = max(batch.bytes.count, 1 << 20)
        }
        try socket.send(batch.bytes, operation: "send set element batch (\(batch.bytes.count) bytes)")
        afterSend?()
        try readAcks(of: batch)
    }

    /// Builds the batch `apply(adds: [change], deletes: [])` would send, and
    /// sends nothing: run just before a real add, it brings that path's code
    /// and data into the caches (Daemon+Warmup). A change it cannot encode
    /// is ignored here; `apply` reports it.
    public func warm(_ change: ElementChange) {
        _ = try? SetElementBatch(adds: [change], deletes: [], firstSequence: 0)
    }

    private func readAcks(of batch: SetElementBatch) throws(NetfilterError) {
        // BATCH_END's ACK (kernel >= 6.10) arrives after the commit; older kernels never send it.
        try socket.readBatchAcks(into: &buffer, sequences: batch.beginSequence...batch.endSequence,
                                 expected: Set(batch.ackedSequences), operation: "set element batch",
                                 context: nil) { ack in
            let (op, ctx) = batch.context(ofError: ack.sequence, offset: ack.badAttributeOffset)
            return NetfilterError(operation: op, code: ack.errno, context: ctx, detail: ack.message,
                                  element: batch.failedElement(ofError: ack.sequence, offset: ack.badAttributeOffset))
        }
    }

    /// Dumps a set (NFT_MSG_GETSETELEM, NLM_F_DUMP): each key and the
    /// milliseconds until it expires, when the set has timeouts.
    public func elements(of set: SetLocation, keyFamily: IPFamily) throws(NetfilterError) -> [KernelElement] {
        // A dump is not a snapshot: it walks the set's hash table in parts,
        // and a resize between parts (the kernel grows the table in a worker
        // after many inserts) can skip or repeat elements. A belief rebuilt
        // from such a dump would keep or forget pinholes wrongly, so dump
        // until two in a row agree (seen once in ~20 runs of a 10,000-change
        // batch followed at once by a dump, on a loaded machine).
        var last = try dumpElements(of: set, keyFamily: keyFamily)
        for _ in 0..<Self.maxDumps - 1 {
            let next = try dumpElements(of: set, keyFamily: keyFamily)
            if Set(next.map(\.key)) == Set(last.map(\.key)) { return next }
            last = next
        }
        return last
    }

    static let maxDumps = 4

    private func dumpElements(of set: SetLocation, keyFamily: IPFamily) throws(NetfilterError) -> [KernelElement] {
        let seq = socket.nextSequence()
        let request = try Self.setRequest(type: UInt16(NFT_MSG_GETSETELEM.rawValue), flags: UInt16(NLM_F_DUMP),
                                          set: set, sequence: seq, tableAttr: NFTA_SET_ELEM_LIST_TABLE.rawValue,
                                          setAttr: NFTA_SET_ELEM_LIST_SET.rawValue)
        var out: [KernelElement] = []
        try socket.transact(request, sequence: seq, buffer: &buffer, operation: "list set elements", context: "set \(set)") { m in
            guard m.nfMessageType == UInt8(NFT_MSG_NEWSETELEM.rawValue) else { return }
            out += Self.decodeElements(m).filter { $0.key.family == keyFamily }
        }
        return out
    }

    /// Elements of one NFT_MSG_NEWSETELEM message (dump reply).
    static func decodeElements(_ m: NetlinkMessage) -> [KernelElement] {
        var out: [KernelElement] = []
        for element in m.nfAttributes.first(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)?.nested ?? [] {
            let attrs = element.nested
            guard let value = attrs.first(NFTA_SET_ELEM_KEY.rawValue)?.nested.first(NFTA_DATA_VALUE.rawValue),
                  let key = PinholeKey(elementKey: Array(value.value)) else { continue }
            let comment = attrs.first(NFTA_SET_ELEM_USERDATA.rawValue).flatMap { ElementComment.decode(Array($0.value)) }
            out.append(KernelElement(key: key, expiresInMs: attrs.first(NFTA_SET_ELEM_EXPIRATION.rawValue)?.be64,
                                     comment: comment))
        }
        return out
    }

    /// Looks a set up (NFT_MSG_GETSET): nil when the table or set does not exist.
    public func setInfo(_ set: SetLocation) throws(NetfilterError) -> SetInfo? {
        let seq = socket.nextSequence()
        let request = try Self.setRequest(type: UInt16(NFT_MSG_GETSET.rawValue), flags: UInt16(NLM_F_ACK),
                                          set: set, sequence: seq, tableAttr: NFTA_SET_TABLE.rawValue,
                                          setAttr: NFTA_SET_NAME.rawValue)
        var info: SetInfo?
        do {
            try socket.transact(request, sequence: seq, buffer: &buffer, operation: "look up set", context: "set \(set)") { m in
                guard m.nfMessageType == UInt8(NFT_MSG_NEWSET.rawValue) else { return }
                let a = m.nfAttributes
                info = SetInfo(keyLength: Int(a.first(NFTA_SET_KEY_LEN.rawValue)?.be32 ?? 0),
                               keyType: a.first(NFTA_SET_KEY_TYPE.rawValue)?.be32 ?? 0,
                               flags: a.first(NFTA_SET_FLAGS.rawValue)?.be32 ?? 0)
            }
        } catch where error.code == ENOENT {
            return nil
        }
        return info
    }

    /// A request naming one set by table and name (NUL-terminated strings).
    private static func setRequest(type: UInt16, flags: UInt16, set: SetLocation, sequence: UInt32,
                                   tableAttr: UInt32, setAttr: UInt32) throws(NetfilterError) -> [UInt8] {
        guard let family = nfproto(ofFamily: set.family) else {
            throw NetfilterError(operation: "look up set", code: EAFNOSUPPORT, context: "set \(set)",
                                 detail: "unknown table family \"\(set.family)\"")
        }
        var b = NetlinkMessageBuilder(type: cnf_nfnl_msg_type(UInt16(NFNL_SUBSYS_NFTABLES), type), flags: flags,
                                      sequence: sequence, family: UInt8(family), resourceID: 0)
        b.attribute(tableAttr, Array(set.table.utf8) + [0])
        b.attribute(setAttr, Array(set.set.utf8) + [0])
        return b.finish()
    }
}
