import PinholeCore

/// The set element a kernel error was about: named by the extended ACK's
/// attribute offset, or the only element of the message that failed.
public struct FailedElement: Sendable, Hashable {
    public var location: SetLocation
    public var key: PinholeKey
    /// An add (NEWSETELEM) rather than a delete.
    public var isAdd: Bool

    public init(location: SetLocation, key: PinholeKey, isAdd: Bool) {
        self.location = location
        self.key = key
        self.isAdd = isAdd
    }
}
