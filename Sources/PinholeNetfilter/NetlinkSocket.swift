import CNetfilter
import Glibc

/// Owns one libmnl socket (NETLINK_NETFILTER unless told otherwise); closed in deinit.
final class NetlinkSocket {
    private let handle: OpaquePointer
    let fileDescriptor: Int32
    let portID: UInt32
    var sequence: UInt32

    /// `mnl_socket_open` + `mnl_socket_bind(0, MNL_SOCKET_AUTOPID)`.
    init(bus: Int32 = NETLINK_NETFILTER, groups: UInt32 = 0, purpose: String) throws(NetfilterError) {
        guard let h = mnl_socket_open(bus) else { throw .fromErrno("open netlink socket for \(purpose)") }
        guard mnl_socket_bind(h, groups, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let e = NetfilterError.fromErrno("bind netlink socket for \(purpose)")
            mnl_socket_close(h)
            throw e
        }
        handle = h
        fileDescriptor = mnl_socket_get_fd(h)
        portID = mnl_socket_get_portid(h)
        // Start from the clock like nftables does, so replies from an earlier run are not mistaken for ours.
        sequence = UInt32(truncatingIfNeeded: time(nil))
    }

    deinit { mnl_socket_close(handle) }

    /// The next sequence number for a request.
    func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    /// `fcntl(O_NONBLOCK)`: for sockets the daemon polls.
    func setNonBlocking() throws(NetfilterError) {
        guard cnf_set_nonblocking(fileDescriptor) == 0 else {
            throw .fromErrno("set O_NONBLOCK")
        }
    }

    /// SO_RCVBUFFORCE (root: above rmem_max), falling back to SO_RCVBUF.
    func setReceiveBuffer(bytes: Int) throws(NetfilterError) {
        var size = Int32(clamping: bytes)
        let len = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVBUFFORCE, &size, len) == 0 { return }
        guard setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVBUF, &size, len) == 0 else {
            throw .fromErrno("set receive buffer to \(bytes) bytes")
        }
    }

    /// SO_SNDBUFFORCE, falling back to SO_SNDBUF: netlink refuses (EMSGSIZE)
    /// a datagram larger than the send buffer, and a batch is one datagram.
    func setSendBuffer(bytes: Int) throws(NetfilterError) {
        var size = Int32(clamping: bytes)
        let len = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fileDescriptor, SOL_SOCKET, SO_SNDBUFFORCE, &size, len) == 0 { return }
        guard setsockopt(fileDescriptor, SOL_SOCKET, SO_SNDBUF, &size, len) == 0 else {
            throw .fromErrno("set send buffer to \(bytes) bytes")
        }
    }

    /// The kernel's receive buffer size (it doubles what was asked).
    var receiveBufferBytes: Int {
        var size: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fileDescriptor, SOL_SOCKET, SO_RCVBUF, &size, &len)
        return Int(size)
    }

    /// An int-valued SOL_NETLINK option (NETLINK_EXT_ACK, NETLINK_CAP_ACK, ...).
    func setNetlinkOption(_ option: Int32, _ value: Int32 = 1) {
        var v = value
        setsockopt(fileDescriptor, SOL_NETLINK, option, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// SO_RCVTIMEO, so a blocking read of a reply cannot hang forever.
    func setReceiveTimeout(milliseconds: Int) {
        var tv = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// `sendto` to the kernel, the whole buffer or an error.
    func send(_ bytes: [UInt8], operation: @autoclosure () -> String) throws(NetfilterError) {
        let n = bytes.withUnsafeBytes { raw in
            retryingEINTR { mnl_socket_sendto(handle, raw.baseAddress, raw.count) }
        }
        if n < 0 { throw .fromErrno(operation()) }
        if n != bytes.count { throw NetfilterError(operation: operation(), code: EMSGSIZE, detail: "short send \(n) of \(bytes.count) bytes") }
    }

    enum Received {
        case bytes(Int)
        /// Non-blocking socket with nothing queued (or SO_RCVTIMEO passed).
        case wouldBlock
        /// ENOBUFS: the kernel dropped messages for this socket.
        case overflow
    }

    /// One `recv` into `buffer`. `dontWait` makes this call non-blocking.
    func receive(into buffer: inout [UInt8], dontWait: Bool = false, operation: @autoclosure () -> String) throws(NetfilterError) -> Received {
        try Self.receive(fileDescriptor: fileDescriptor, into: &buffer, dontWait: dontWait, operation: operation())
    }

    /// `recv` on any netlink descriptor (also ones owned by libnetfilter_conntrack).
    static func receive(fileDescriptor: Int32, into buffer: inout [UInt8], dontWait: Bool, operation: @autoclosure () -> String) throws(NetfilterError) -> Received {
        let flags = dontWait ? Int32(MSG_DONTWAIT) : 0
        let n = buffer.withUnsafeMutableBytes { raw in
            retryingEINTR { recv(fileDescriptor, raw.baseAddress, raw.count, flags) }
        }
        if n >= 0 { return .bytes(n) }
        switch cnf_errno() {
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        case ENOBUFS: return .overflow
        default: throw .fromErrno(operation())
        }
    }

    /// Reads everything queued without blocking, at most `maxReads` datagrams so
    /// a flood cannot starve the caller's other descriptors (poll says when to
    /// come back). ENOBUFS is noted in the result and reading goes on.
    /// `operation` is only for an error: built on every read, its text was ~1%
    /// of the daemon's CPU (perf, 2026-12-07).
    static func drain(fileDescriptor: Int32, buffer: inout [UInt8], maxReads: Int = 256,
                      operation: @autoclosure () -> String,
                      _ body: (ArraySlice<UInt8>) -> Int) throws(NetfilterError) -> DrainResult {
        var result = DrainResult()
        for _ in 0..<maxReads {
            switch try receive(fileDescriptor: fileDescriptor, into: &buffer, dontWait: true, operation: operation()) {
            case .wouldBlock: return result
            case .overflow: result.overflowed = true
            case .bytes(let n): result.delivered += body(buffer[0..<n])
            }
        }
        return result
    }
}
