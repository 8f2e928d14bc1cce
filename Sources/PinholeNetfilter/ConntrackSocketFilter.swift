import CNetfilter
import PinholeCore

/// A classic BPF program for a ctnetlink event socket: pass only TCP entries
/// whose original destination is in `destinations` or original source in
/// `sources` (IPv4 and IPv6 alike), and of those only NEW events unless the
/// original destination port is one of `controlPorts` (when given).
///
/// Why not `nfct_filter`: measured with libnetfilter_conntrack 1.0.9, a filter
/// holding IPv4 and IPv6 addresses drops every IPv6 event, an IPv6-only filter
/// passes every IPv4 event, and address types are ANDed (no "src or dst").
/// This program walks the attributes with SKF_AD_NLATTR / SKF_AD_NLATTR_NEST,
/// as NETLINK-NOTES describes.
struct ConntrackSocketFilter {
    private(set) var program: [sock_filter] = []

    static let maxControlPorts = 200
    static let accept: UInt32 = 0xffff_ffff
    static let reject: UInt32 = 0

    // Classic BPF opcodes (linux/bpf_common.h macros do not import).
    private static let ldImm: UInt16 = 0x00, ldxImm: UInt16 = 0x01, ldAbsW: UInt16 = 0x20, ldAbsB: UInt16 = 0x30
    private static let ldIndW: UInt16 = 0x40, ldIndB: UInt16 = 0x50, ldMem: UInt16 = 0x60, st: UInt16 = 0x02
    private static let ldIndH: UInt16 = 0x48, jsetK: UInt16 = 0x45
    private static let andK: UInt16 = 0x54, jeqK: UInt16 = 0x15, ja: UInt16 = 0x05, retK: UInt16 = 0x06, tax: UInt16 = 0x07
    private static let nlattr = UInt32(bitPattern: Int32(SKF_AD_OFF + SKF_AD_NLATTR))
    private static let nlattrNest = UInt32(bitPattern: Int32(SKF_AD_OFF + SKF_AD_NLATTR_NEST))

    init(_ filter: ConntrackFilter) {
        // Not ctnetlink: let it through. nlmsg_type is host-endian; its high byte is the subsystem.
        let subsysOffset: UInt32 = UInt16(1).littleEndian == 1 ? 5 : 4
        emit(Self.ldAbsB, k: subsysOffset)
        emit(Self.jeqK, jt: 1, jf: 0, k: UInt32(NFNL_SUBSYS_CTNETLINK))
        emit(Self.retK, k: Self.accept)
        // M[0] = CTA_TUPLE_ORIG, searched from the first attribute (after nlmsghdr + nfgenmsg).
        emit(Self.ldImm, k: 20)
        emit(Self.ldxImm, k: UInt32(CTA_TUPLE_ORIG.rawValue))
        emit(Self.ldAbsW, k: Self.nlattr)
        rejectIfZero()
        emit(Self.st, k: 0)
        // TCP only: ORIG > PROTO > PROTO_NUM == IPPROTO_TCP.
        emit(Self.ldxImm, k: UInt32(CTA_TUPLE_PROTO.rawValue))
        emit(Self.ldAbsW, k: Self.nlattrNest)
        rejectIfZero()
        emit(Self.st, k: 2)  // M[2] = ORIG > PROTO
        emit(Self.ldxImm, k: UInt32(CTA_PROTO_NUM.rawValue))
        emit(Self.ldAbsW, k: Self.nlattrNest)
        rejectIfZero()
        emit(Self.tax)
        emit(Self.ldIndB, k: 4)
        emit(Self.jeqK, jt: 1, jf: 0, k: UInt32(IPPROTO_TCP))
        emit(Self.retK, k: Self.reject)
        // (Past ~200 ports the jumps would not fit in 8 bits: pass every event then.)
        if !filter.controlPorts.isEmpty, filter.controlPorts.count <= Self.maxControlPorts {
            newOrControlPort(filter.controlPorts)
        }
        // M[1] = ORIG > IP.
        emit(Self.ldMem, k: 0)
        emit(Self.ldxImm, k: UInt32(CTA_TUPLE_IP.rawValue))
        emit(Self.ldAbsW, k: Self.nlattrNest)
        rejectIfZero()
        emit(Self.st, k: 1)
        let (destinations, sources) = (filter.destinations, filter.sources)
        let blocks: [(UInt32, [IPPrefix])] = [
            (UInt32(CTA_IP_V4_DST.rawValue), destinations.filter { $0.family == .ipv4 }),
            (UInt32(CTA_IP_V4_SRC.rawValue), sources.filter { $0.family == .ipv4 }),
            (UInt32(CTA_IP_V6_DST.rawValue), destinations.filter { $0.family == .ipv6 }),
            (UInt32(CTA_IP_V6_SRC.rawValue), sources.filter { $0.family == .ipv6 }),
        ]
        for (attribute, prefixes) in blocks where !prefixes.isEmpty {
            addressBlock(attribute: attribute, prefixes: prefixes)
        }
        emit(Self.retK, k: Self.reject)
    }

    /// Go on for a NEW event (nlmsg_flags has NLM_F_CREATE) or an original
    /// destination port in `ports`; reject anything else.
    private mutating func newOrControlPort(_ ports: [UInt16]) {
        // nlmsg_flags is host-endian at offset 6; NLM_F_CREATE (0x400) is in its high byte.
        let flagsHighByte: UInt32 = UInt16(1).littleEndian == 1 ? 7 : 6
        emit(Self.ldAbsB, k: flagsHighByte)
        let isNew = program.count
        emit(Self.jsetK, jt: 0, jf: 0, k: UInt32(NLM_F_CREATE) >> 8)  // jt patched: past this block
        emit(Self.ldMem, k: 2)
        emit(Self.ldxImm, k: UInt32(CTA_PROTO_DST_PORT.rawValue))
        emit(Self.ldAbsW, k: Self.nlattrNest)
        rejectIfZero()
        emit(Self.tax)
        emit(Self.ldIndH, k: 4)  // the port, network order as BPF loads it
        for (n, port) in ports.enumerated() {
            // A match jumps over the remaining compares and the reject.
            emit(Self.jeqK, jt: UInt8(ports.count - n), jf: 0, k: UInt32(port))
        }
        emit(Self.retK, k: Self.reject)
        program[isNew].jt = UInt8(program.count - isNew - 1)
    }

    /// If the address attribute exists, accept when it is in any prefix; otherwise go on.
    private mutating func addressBlock(attribute: UInt32, prefixes: [IPPrefix]) {
        emit(Self.ldMem, k: 1)
        emit(Self.ldxImm, k: attribute)
        emit(Self.ldAbsW, k: Self.nlattrNest)
        emit(Self.jeqK, jt: 0, jf: 1, k: 0)
        let skip = program.count
        emit(Self.ja, k: 0)  // patched: past this block
        emit(Self.tax)
        for p in prefixes {
            let words = Self.words(p)
            // Each word: load, mask, compare; a mismatch skips the rest of this prefix and its accept.
            for (n, (value, mask)) in words.enumerated() {
                let remaining = words.count - n - 1
                emit(Self.ldIndW, k: UInt32(4 + 4 * n))
                emit(Self.andK, k: mask)
                emit(Self.jeqK, jt: 0, jf: UInt8(remaining * 3 + 1), k: value & mask)
            }
            emit(Self.retK, k: Self.accept)
        }
        program[skip].k = UInt32(program.count - skip - 1)
    }

    /// (value, mask) per 32-bit word of the prefix, as BPF loads them (network order), skipping all-zero masks.
    static func words(_ p: IPPrefix) -> [(UInt32, UInt32)] {
        let a = p.address
        let values: [UInt32] = p.family == .ipv4 ? [a.ipv4Value] :
            [UInt32(truncatingIfNeeded: a.high >> 32), UInt32(truncatingIfNeeded: a.high),
             UInt32(truncatingIfNeeded: a.low >> 32), UInt32(truncatingIfNeeded: a.low)]
        var out: [(UInt32, UInt32)] = []
        for (n, v) in values.enumerated() {
            let bits = p.length - 32 * n
            let mask: UInt32 = bits <= 0 ? 0 : bits >= 32 ? ~0 : ~UInt32(0) << UInt32(32 - bits)
            if mask != 0 { out.append((v, mask)) }
        }
        return out
    }

    private mutating func rejectIfZero() {
        emit(Self.jeqK, jt: 0, jf: 1, k: 0)
        emit(Self.retK, k: Self.reject)
    }

    private mutating func emit(_ code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32 = 0) {
        program.append(sock_filter(code: code, jt: jt, jf: jf, k: k))
    }

    /// SO_ATTACH_FILTER on `fd`.
    func attach(to fd: Int32) throws(NetfilterError) {
        var prog = program
        let rc = prog.withUnsafeMutableBufferPointer { buf -> Int32 in
            var fprog = sock_fprog(len: UInt16(buf.count), filter: buf.baseAddress)
            return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, socklen_t(MemoryLayout<sock_fprog>.size))
        }
        guard rc == 0 else { throw .fromErrno("attach conntrack socket filter", context: "\(program.count) instructions") }
    }
}
