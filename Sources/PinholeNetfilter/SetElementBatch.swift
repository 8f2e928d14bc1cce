import CNetfilter
import PinholeCore

/// One element to add (with a timeout) or delete.
public struct ElementChange: Sendable, Hashable {
    public var location: SetLocation
    public var key: PinholeKey
    /// Milliseconds until the kernel removes it; nil for deletes (or the set's default timeout).
    public var timeoutMs: UInt64?
    /// Shown by `nft list set` as the element's comment (adds only).
    public var comment: String?

    public init(location: SetLocation, key: PinholeKey, timeoutMs: UInt64? = nil, comment: String? = nil) {
        self.location = location
        self.key = key
        self.timeoutMs = timeoutMs
        self.comment = comment
    }
}

/// The nft family number of a table family name (`inet`, `ip`, `ip6`, ...).
func nfproto(ofFamily family: String) -> UInt16? {
    switch family {
    case "inet": return UInt16(NFPROTO_INET)
    case "ip": return UInt16(NFPROTO_IPV4)
    case "ip6": return UInt16(NFPROTO_IPV6)
    case "arp": return UInt16(NFPROTO_ARP)
    case "bridge": return UInt16(NFPROTO_BRIDGE)
    case "netdev": return UInt16(NFPROTO_NETDEV)
    default: return nil
    }
}

/// Owns one `struct nftnl_set` (freed in deinit; it owns its elements).
final class NftnlSet {
    let pointer: OpaquePointer

    init(_ location: SetLocation) {
        pointer = nftnl_set_alloc()!  // aborts only on OOM, like every malloc in Swift
        nftnl_set_set_str(pointer, UInt16(NFTNL_SET_TABLE.rawValue), location.table)
        nftnl_set_set_str(pointer, UInt16(NFTNL_SET_NAME.rawValue), location.set)
    }

    deinit { nftnl_set_free(pointer) }

    /// `nftnl_set_elem_add` with the element key and, if given, its timeout.
    func addElement(key: [UInt8], timeoutMs: UInt64?, comment: String? = nil) {
        let e = nftnl_set_elem_alloc()!
        key.withUnsafeBytes { _ = nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_KEY), $0.baseAddress, UInt32($0.count)) }
        if let timeoutMs { nftnl_set_elem_set_u64(e, UInt16(NFTNL_SET_ELEM_TIMEOUT), timeoutMs) }
        if let comment {
            ElementComment.encode(comment).withUnsafeBytes {
                _ = nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_USERDATA), $0.baseAddress, UInt32($0.count))
            }
        }
        nftnl_set_elem_add(pointer, e)
    }
}

/// A whole nf_tables batch (BATCH_BEGIN, element messages, BATCH_END) as bytes,
/// plus what each message was about so a kernel error can be traced back to it.
/// Building needs no socket, so the encoding is unit-tested with golden bytes.
struct SetElementBatch {
    /// What one message in the batch carried.
    struct MessageInfo {
        var operation: String
        var location: SetLocation
        /// Offset of each element attribute inside the message, for extended ACKs.
        var elements: [(range: Range<Int>, key: PinholeKey)]
        var setAttribute: Range<Int>?
        var tableAttribute: Range<Int>?
    }

    /// Budget for one message's NFTA_SET_ELEM_LIST_ELEMENTS attribute. Its
    /// length is 16 bits (64 KiB at most) and libnftnl does not check it, so
    /// messages are split by encoded size, well under that: a commented IPv6
    /// element takes ~200 bytes, so a count limit cannot be trusted.
    static let maxElementsAttributeBytes = 32 * 1024

    private(set) var bytes: [UInt8] = []
    /// Each element message's kind, set and bytes; described only if the
    /// kernel reports an error (reading a message back costs more than
    /// building it, and this is on the path of every pinhole).
    private var sent: [UInt32: (kind: UInt16, location: SetLocation, range: Range<Int>)] = [:]
    /// Sequence numbers of the messages that ask for an ACK, in order.
    private(set) var ackedSequences: [UInt32] = []
    let beginSequence: UInt32
    private(set) var endSequence: UInt32 = 0

    /// Deletes come first so that a key in both lists ends up present with its new timeout.
    /// `maxElementsAttributeBytes` is a parameter only so tests can push it past 64 KiB.
    init(adds: [ElementChange], deletes: [ElementChange], firstSequence: UInt32,
         maxElementsAttributeBytes: Int = Self.maxElementsAttributeBytes) throws(NetfilterError) {
        var seq = firstSequence
        beginSequence = seq
        appendRaw(maxBytes: 64) { nftnl_batch_begin($0, seq) }
        for (kind, changes) in [(CNF_NFT_MSG_DESTROYSETELEM, deletes), (Int32(NFT_MSG_NEWSETELEM.rawValue), adds)] {
            for (location, group) in Self.grouped(changes) {
                guard let family = nfproto(ofFamily: location.family) else {
                    throw NetfilterError(operation: "encode set elements", code: EAFNOSUPPORT,
                                         context: "set \(location)", detail: "unknown table family \"\(location.family)\"")
                }
                let isDelete = kind == CNF_NFT_MSG_DESTROYSETELEM
                for chunk in Self.chunks(of: group, isDelete: isDelete, maxBytes: maxElementsAttributeBytes) {
                    seq &+= 1
                    try appendElementMessage(kind: UInt16(kind), family: family, location: location,
                                             chunk: chunk.elements, encodedBytes: chunk.bytes, sequence: seq)
                }
            }
        }
        seq &+= 1
        endSequence = seq
        appendRaw(maxBytes: 64) { buf in
            let nlh = nftnl_batch_end(buf, seq)!
            // Kernel >= 6.10 ACKs BATCH_END after the commit: a positive "committed".
            nlh.pointee.nlmsg_flags |= UInt16(NLM_F_ACK)
            return nlh
        }
    }

    /// Groups changes by set, keeping the first-seen order of sets and elements.
    /// A linear scan: a batch touches one set per family, and this runs on the
    /// path of every pinhole, where a dictionary's hashing costs more.
    private static func grouped(_ changes: [ElementChange]) -> [(SetLocation, [ElementChange])] {
        var groups: [(SetLocation, [ElementChange])] = []
        for c in changes {
            if let i = groups.firstIndex(where: { $0.0 == c.location }) {
                groups[i].1.append(c)
            } else {
                groups.append((c.location, [c]))
            }
        }
        return groups
    }

    /// Runs a libnftnl builder at the end of `bytes` (zeroed room for
    /// `maxBytes`), then trims the room to the message it wrote.
    private mutating func appendRaw(maxBytes: Int, _ build: (UnsafeMutablePointer<CChar>) -> UnsafeMutablePointer<nlmsghdr>?) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: maxBytes))
        let len = bytes.withUnsafeMutableBytes { raw -> Int in
            let nlh = build((raw.baseAddress! + start).assumingMemoryBound(to: CChar.self))!
            return Int(nlh.pointee.nlmsg_len)
        }
        precondition(len <= maxBytes, "netlink message overran its buffer")
        bytes.removeLast(maxBytes - netlinkAlign(len))
    }

    /// Splits one set's changes into messages whose elements attribute stays
    /// within `maxBytes` (at least one element per message).
    private static func chunks(of changes: [ElementChange], isDelete: Bool,
                               maxBytes: Int) -> [(elements: ArraySlice<ElementChange>, bytes: Int)] {
        var out: [(elements: ArraySlice<ElementChange>, bytes: Int)] = []
        var start = 0, size = 4  // the attribute's own header
        for (i, c) in changes.enumerated() {
            let n = encodedSize(of: c, isDelete: isDelete)
            if i > start && size + n > maxBytes {
                out.append((changes[start..<i], size))
                start = i
                size = 4
            }
            size += n
        }
        if start < changes.count { out.append((changes[start...], size)) }
        return out
    }

    /// Bytes one element takes inside NFTA_SET_ELEM_LIST_ELEMENTS, as
    /// libnftnl lays it out: LIST_ELEM { TIMEOUT, KEY { DATA_VALUE }, USERDATA }.
    static func encodedSize(of c: ElementChange, isDelete: Bool) -> Int {
        var n = 4 + 4 + 4 + (c.key.family == .ipv4 ? 12 : 36)
        if !isDelete, c.timeoutMs != nil { n += 4 + 8 }
        if !isDelete, let comment = c.comment { n += 4 + netlinkAlign(ElementComment.encodedCount(comment)) }
        return n
    }

    private mutating func appendElementMessage(kind: UInt16, family: UInt16, location: SetLocation,
                                               chunk: ArraySlice<ElementChange>, encodedBytes: Int,
                                               sequence: UInt32) throws(NetfilterError) {
        let set = NftnlSet(location)
        let isDelete = kind == UInt16(CNF_NFT_MSG_DESTROYSETELEM)
        for c in chunk {
            set.addElement(key: c.key.elementKey, timeoutMs: isDelete ? nil : c.timeoutMs,
                           comment: isDelete ? nil : c.comment)
        }
        let flags = UInt16(NLM_F_ACK) | (kind == UInt16(NFT_MSG_NEWSETELEM.rawValue) ? UInt16(NLM_F_CREATE) : 0)
        // Headers and two names of < 256 bytes each fit in 1 KiB; the slack
        // per element covers any attribute libnftnl adds that we do not count.
        let maxBytes = 1024 + encodedBytes + chunk.count * 16
        let messageStart = bytes.count
        appendRaw(maxBytes: maxBytes) { buf in
            let nlh = nftnl_nlmsg_build_hdr(buf, kind, family, flags, sequence)!
            nftnl_set_elems_nlmsg_build_payload(nlh, set.pointer)
            return nlh
        }
        // Every attribute sits in the payload after nlmsghdr and nfgenmsg: if
        // that fits in 16 bits, so does the elements attribute's length.
        let payload = bytes.count - messageStart - 16 - 4
        guard payload <= Int(UInt16.max) else {
            throw NetfilterError(operation: isDelete ? "delete set elements" : "add set elements", code: EMSGSIZE,
                                 context: "set \(location), \(chunk.count) elements",
                                 detail: "message payload \(payload) bytes exceeds a netlink attribute's 65535")
        }
        ackedSequences.append(sequence)
        sent[sequence] = (kind, location, messageStart..<bytes.count)
    }

    /// What the message with this sequence number carried.
    func info(of sequence: UInt32) -> MessageInfo? {
        guard let m = sent[sequence] else { return nil }
        return Self.describe(message: bytes[m.range], kind: m.kind, location: m.location)
    }

    /// Reads back the message we built: where each element and the set name sit.
    private static func describe(message: ArraySlice<UInt8>, kind: UInt16, location: SetLocation) -> MessageInfo {
        let base = message.startIndex
        var info = MessageInfo(operation: kind == UInt16(CNF_NFT_MSG_DESTROYSETELEM) ? "delete set elements" : "add set elements",
                               location: location, elements: [])
        guard let m = NetlinkMessage.parse(message).first else { return info }
        func rel(_ a: NetlinkAttribute) -> Range<Int> { (a.bytes.startIndex - base)..<(a.bytes.endIndex - base) }
        let attrs = m.nfAttributes
        if let t = attrs.first(NFTA_SET_ELEM_LIST_TABLE.rawValue) { info.tableAttribute = rel(t) }
        if let s = attrs.first(NFTA_SET_ELEM_LIST_SET.rawValue) { info.setAttribute = rel(s) }
        for element in attrs.first(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)?.nested ?? [] {
            guard let keyData = element.nested.first(NFTA_SET_ELEM_KEY.rawValue)?.nested.first(NFTA_DATA_VALUE.rawValue),
                  let key = PinholeKey(elementKey: Array(keyData.value)) else { continue }
            info.elements.append((rel(element), key))
        }
        return info
    }

    /// The element a kernel error on `sequence` (at `offset`, if extended ACK
    /// gave one) was about, if it can be told: the attribute at the offset, or
    /// the message's only element. Never a guess among several.
    func failedElement(ofError sequence: UInt32, offset: Int?) -> FailedElement? {
        guard sequence != beginSequence, sequence != endSequence, let m = sent[sequence] else { return nil }
        let info = Self.describe(message: bytes[m.range], kind: m.kind, location: m.location)
        let isAdd = m.kind == UInt16(NFT_MSG_NEWSETELEM.rawValue)
        if let offset, let e = info.elements.first(where: { $0.range.contains(offset) }) {
            return FailedElement(location: m.location, key: e.key, isAdd: isAdd)
        }
        // An offset at the set or table attribute blames the set, not an element.
        if offset == nil, info.elements.count == 1 {
            return FailedElement(location: m.location, key: info.elements[0].key, isAdd: isAdd)
        }
        return nil
    }

    /// Names what a kernel error on `sequence` (at `offset`, if extended ACK gave one) was about.
    func context(ofError sequence: UInt32, offset: Int?) -> (operation: String, context: String) {
        if sequence == beginSequence || sequence == endSequence {
            return ("commit set element batch", "\(sent.count) message(s)")
        }
        guard let info = info(of: sequence) else { return ("set element batch", "unknown sequence \(sequence)") }
        let set = "set \(info.location)"
        if let offset {
            if let e = info.elements.first(where: { $0.range.contains(offset) }) {
                return (info.operation, "\(set), element \(e.key)")
            }
            if info.setAttribute?.contains(offset) == true { return (info.operation, "\(set): the set") }
            if info.tableAttribute?.contains(offset) == true { return (info.operation, "\(set): the table") }
        }
        if info.elements.count == 1 { return (info.operation, "\(set), element \(info.elements[0].key)") }
        let keys = info.elements.prefix(3).map { "\($0.key)" }.joined(separator: ", ")
        return (info.operation, "\(set), one of \(info.elements.count) elements: \(keys)\(info.elements.count > 3 ? ", ..." : "")")
    }
}
