/// Control connections that closed lately. The last ACKs of a TCP close
/// (and a late conntrack UPDATE) arrive after we closed the session; without
/// this they would reopen it as a mid-session pickup. Bounded FIFO.
struct RecentlyClosed: Sendable {
    private var order: [ConnectionKey] = []
    private var members: Set<ConnectionKey> = []
    private var head = 0
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    func contains(_ key: ConnectionKey) -> Bool { members.contains(key) }

    mutating func insert(_ key: ConnectionKey) {
        guard members.insert(key).inserted else { return }
        if order.count < capacity {
            order.append(key)
        } else {
            members.remove(order[head])
            order[head] = key
            head = (head + 1) % capacity
        }
    }

    /// A new connection reused the tuple (a fresh SYN): it is live again.
    mutating func remove(_ key: ConnectionKey) { members.remove(key) }
}
