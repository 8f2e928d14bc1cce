/// An inclusive TCP port range such as `1024-65535`.
public struct PortRange: Hashable, Sendable, CustomStringConvertible {
    public let lower: UInt16
    public let upper: UInt16

    public init?(lower: UInt16, upper: UInt16) {
        guard lower >= 1, lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ port: UInt16) -> Bool { port >= lower && port <= upper }

    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}
