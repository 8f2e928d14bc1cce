/// A conntrack event for a TCP connection, reduced to what sessions need.
public struct ConntrackEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The daemon does not subscribe to updates (see ConntrackEvents in
        /// PinholeNetfilter: their cost); the inspector still handles them
        /// correctly, so it stays right for any ctnetlink event stream.
        case new, update, destroy
        /// An entry from a dump (resync/restart), not a change.
        case existing
    }

    public var kind: Kind
    /// The original direction: who sent the first SYN to whom.
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// nil when the message carried no TCP protoinfo.
    public var tcpState: TCPConntrackState?

    public init(kind: Kind, source: IPAddress, destination: IPAddress, sourcePort: UInt16,
                destinationPort: UInt16, tcpState: TCPConntrackState?) {
        self.kind = kind
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.tcpState = tcpState
    }
}

/// The kernel's TCP conntrack states (enum tcp_conntrack in
/// include/uapi/linux/netfilter/nf_conntrack_tcp.h), same raw values.
public enum TCPConntrackState: UInt8, Sendable, Hashable {
    case none = 0, synSent, synRecv, established, finWait, closeWait, lastAck, timeWait, close, synSent2

    /// The three-way handshake is not complete: no byte can have been exchanged.
    public var isHandshake: Bool {
        switch self {
        case .none, .synSent, .synRecv, .synSent2: return true
        default: return false
        }
    }

    /// True once either side has sent FIN or RST: the session is over for us.
    public var isClosing: Bool {
        switch self {
        case .finWait, .closeWait, .lastAck, .timeWait, .close: return true
        default: return false
        }
    }
}
