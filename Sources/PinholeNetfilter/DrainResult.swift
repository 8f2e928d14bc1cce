/// What one non-blocking `drain` of a netlink event socket saw.
public struct DrainResult: Sendable, Equatable {
    /// Messages handed to the caller.
    public var delivered: Int
    /// The kernel dropped events (recv returned ENOBUFS): the caller must resync.
    public var overflowed: Bool

    public init(delivered: Int = 0, overflowed: Bool = false) {
        self.delivered = delivered
        self.overflowed = overflowed
    }
}
