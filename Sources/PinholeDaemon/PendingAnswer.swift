import Glibc

/// The unsent rest of one control answer. Written without ever blocking: as
/// much as the socket takes now, the rest when poll reports POLLOUT.
struct PendingAnswer {
    enum Progress: Equatable {
        /// Every byte is in the socket; the connection can close.
        case finished
        /// The socket is full; `tookSome` says whether this call sent anything.
        case wouldBlock(tookSome: Bool)
        /// The client is gone (EPIPE, ECONNRESET...): drop it.
        case failed
    }

    private let bytes: [UInt8]
    private var sent = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var unsentCount: Int { bytes.count - sent }

    /// send(2) with MSG_DONTWAIT until done or the socket is full.
    mutating func write(to fd: Int32) -> Progress {
        let before = sent
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock(tookSome: sent > before) }
            return .failed
        }
        return .finished
    }
}
