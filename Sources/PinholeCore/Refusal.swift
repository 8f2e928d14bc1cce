/// Why a reply, command or segment opened nothing. Raw values are the
/// counter names in `pinholectl status` and the `reason=` in logs.
public enum Refusal: String, Sendable, Hashable, CaseIterable, Codable {
    /// A 227/229 or PORT/EPRT line that does not parse strictly.
    case malformed = "malformed"
    /// 227/PORT/EPRT names another host than the control connection's own.
    case addressMismatch = "address_mismatch"
    /// EPRT family differs from the control connection's.
    case familyMismatch = "family_mismatch"
    /// Port below 1024.
    case privilegedPort = "privileged_port"
    /// Port outside the service's data_ports.
    case portOutOfRange = "port_out_of_range"
    /// 227 without PASV, 229 without EPSV, or a second reply for one request.
    case unsolicitedReply = "unsolicited_reply"
    /// PORT/EPRT from the server, 227/229 from the client.
    case wrongDirection = "wrong_direction"
    /// passive or active is off for the service.
    case modeDisabled = "mode_disabled"
    /// The client is not in the service's clients.
    case clientNotAllowed = "client_not_allowed"
    /// A line over 512 bytes; the session is marked suspect.
    case overlongLine = "overlong_line"
    /// A client line ended in a bare LF: the server may read the bytes after
    /// it as part of the same command (a file name it then echoes in a reply),
    /// so the lines we frame may not be its lines. The session is marked suspect.
    case bareLineFeed = "bare_line_feed"
    /// A NUL byte in a control line.
    case nulByte = "nul_byte"
    /// The session already holds its limit of pinholes (the new one is refused).
    case sessionLimit = "session_limit"
    /// The global session or pinhole limit is reached.
    case globalLimit = "global_limit"
    /// Out-of-order data beyond what the reassembler buffers.
    case reassemblyOverflow = "reassembly_overflow"
    /// An IP/TCP packet copy that does not decode.
    case badPacket = "bad_packet"
    /// The kernel refused the pinhole's set element (a full set, say); the
    /// pinhole is closed so it does not block every later batch.
    case kernelRefused = "kernel_refused"
}
