import Foundation
import Glibc
import PinholeCore

/// The control socket: pinholectl sends one JSON `ControlRequest` line, gets
/// one JSON `ControlResponse` line, and the connection closes.
///
/// Runs on the daemon's thread, driven by its poll loop. Nothing here waits
/// for a client: reads and writes are non-blocking and bounded (64 KiB and
/// 1 s for the request; an answer the socket cannot take at once stays here,
/// polled for POLLOUT, until the client takes it or stalls for 1 s).
public final class ControlServer {
    public static let maxRequestBytes = 64 * 1024
    /// A client must deliver its request within this long after connecting.
    public static let requestDeadlineMs: UInt64 = 1000
    /// A client that takes none of its answer for this long is dropped. It
    /// restarts with every byte taken, so a slow reader still gets a long list.
    public static let answerStallMs: UInt64 = 1000
    /// Connections beyond this drop the oldest one.
    public static let maxClients = 16

    private struct Client {
        var peer: PeerCredentials
        var received: [UInt8] = []
        /// The request's deadline, then (once answering) the next progress's.
        var deadline: UInt64
        /// Set once the request is answered; from then on the client is only written to.
        var answer: PendingAnswer?
    }

    let path: String
    private var listener: Int32
    private var clients: [Int32: Client] = [:]

    /// Creates the parent directory (0755) if missing, removes a stale socket
    /// file, binds AF_UNIX SOCK_STREAM, chmod 0600 (0660 + chown to
    /// socket_group's gid when given), listen, non-blocking.
    public init(path: String, group: String?) throws {
        let gid = try group.map(ControlServer.groupID)
        self.path = path
        listener = try ControlServer.listen(path: path, gid: gid)
    }

    deinit { close() }

    /// What to poll: the listener and each client awaiting its request for
    /// POLLIN, each client with an unsent answer for POLLOUT. Reading it also
    /// drops clients past their deadline, so a silent or stalled client cannot
    /// hold a descriptor longer than a loop round past its deadline.
    public var pollDescriptors: [pollfd] {
        dropExpiredClients()
        guard listener >= 0 else { return [] }
        let listening = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        return [listening] + clients.keys.sorted().map { fd in
            pollfd(fd: fd, events: Int16(clients[fd]?.answer == nil ? POLLIN : POLLOUT), revents: 0)
        }
    }

    /// The descriptors of `pollDescriptors`: the listener and every open client.
    public var fileDescriptors: [Int32] { pollDescriptors.map(\.fd) }

    /// Called when poll reports anything for `fd` (readable, writable, hung
    /// up). Accepts new clients, reads requests (bounded) and answers each
    /// complete one through `handler`, or goes on writing an unsent answer.
    public func handleReady(fd: Int32, handler: (ControlRequest, PeerCredentials) -> ControlResponse) {
        if fd == listener {
            acceptClients()
        } else if clients[fd]?.answer != nil {
            continueAnswer(fd)
        } else if clients[fd] != nil {
            readClient(fd, handler: handler)
        }
    }

    /// Closes all descriptors and removes the socket path.
    public func close() {
        for fd in clients.keys { Glibc.close(fd) }
        clients.removeAll()
        if listener >= 0 {
            Glibc.close(listener)
            listener = -1
            unlink(path)
        }
    }

    /// The answer to one request line: decoded, authorised, then `handler`.
    /// Bad input is an `ok: false` answer, never a crash.
    public static func respond<Line: Collection>(to line: Line, peer: PeerCredentials,
                                                 handler: (ControlRequest, PeerCredentials) -> ControlResponse) -> ControlResponse
    where Line.Element == UInt8 {
        guard let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(line)) else {
            return ControlResponse(ok: false, error: "bad request: expected one JSON line such as {\"command\":\"status\"}; commands: list, status, flush")
        }
        if let refusal = refusal(request, peer: peer) { return refusal }
        return handler(request, peer)
    }

    /// Who may do what: `list` and `status` anyone who can open the socket
    /// (root, or socket_group), `flush` only root.
    static func refusal(_ request: ControlRequest, peer: PeerCredentials) -> ControlResponse? {
        if request.command == .flush, peer.uid != 0 {
            return ControlResponse(ok: false, error: "flush requires root")
        }
        return nil
    }

    /// One JSON line, keys sorted so the output is stable. A list, the one
    /// answer that grows with the firewall's load, is written by ListJSON.
    public static func encode(_ response: ControlResponse) -> [UInt8] {
        if response.ok, let pinholes = response.pinholes, response.error == nil, response.status == nil,
           response.closed == nil, let list = ListJSON.response(pinholes) {
            return list + [0x0a]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(response))
            ?? Data(#"{"error":"internal error: response could not be encoded","ok":false}"#.utf8)
        return Array(data) + [0x0a]
    }

    // MARK: - Connections

    private func acceptClients() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: no more pending; anything else: try again next round
            }
            // accept4 is not in Swift's Glibc module; set the flags by hand.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            guard let peer = PeerCredentials.of(socket: fd) else {
                Glibc.close(fd)
                continue
            }
            if clients.count >= ControlServer.maxClients, let oldest = clients.min(by: { $0.value.deadline < $1.value.deadline }) {
                drop(oldest.key)
            }
            clients[fd] = Client(peer: peer, deadline: ControlServer.monotonicMs() + ControlServer.requestDeadlineMs)
        }
    }

    private func readClient(_ fd: Int32, handler: (ControlRequest, PeerCredentials) -> ControlResponse) {
        guard var client = clients[fd] else { return }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var endOfStream = false
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                client.received += chunk[..<n]
                if client.received.contains(0x0a) || client.received.count > ControlServer.maxRequestBytes { break }
                continue
            }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { break }
            endOfStream = true  // 0 = the client closed its side; < 0 = a broken connection
            break
        }
        if let newline = client.received.firstIndex(of: 0x0a), newline <= ControlServer.maxRequestBytes {
            finish(fd, ControlServer.respond(to: client.received[..<newline], peer: client.peer, handler: handler))
        } else if client.received.count > ControlServer.maxRequestBytes {
            finish(fd, ControlResponse(ok: false, error: "request too long: the limit is \(ControlServer.maxRequestBytes) bytes"))
        } else if endOfStream {
            // A request without its newline is still answered; an empty one is not.
            if client.received.isEmpty { drop(fd) } else {
                finish(fd, ControlServer.respond(to: client.received, peer: client.peer, handler: handler))
            }
        } else {
            clients[fd] = client
        }
    }

    /// Sends what the socket takes now; the rest waits for POLLOUT.
    private func finish(_ fd: Int32, _ response: ControlResponse) {
        guard var client = clients[fd] else { return }
        client.received = []
        client.answer = PendingAnswer(ControlServer.encode(response))
        client.deadline = ControlServer.monotonicMs() + ControlServer.answerStallMs
        clients[fd] = client
        continueAnswer(fd)
    }

    /// Writes more of `fd`'s answer; closes the connection once it is all sent
    /// or the client is gone.
    private func continueAnswer(_ fd: Int32) {
        guard var client = clients[fd], var answer = client.answer else { return }
        switch answer.write(to: fd) {
        case .finished, .failed:
            drop(fd)
        case .wouldBlock(let tookSome):
            client.answer = answer
            if tookSome { client.deadline = ControlServer.monotonicMs() + ControlServer.answerStallMs }
            clients[fd] = client
        }
    }

    private func drop(_ fd: Int32) {
        clients[fd] = nil
        Glibc.close(fd)
    }

    private func dropExpiredClients() {
        let now = ControlServer.monotonicMs()
        for (fd, client) in clients where client.deadline <= now { drop(fd) }
    }

    static func monotonicMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
