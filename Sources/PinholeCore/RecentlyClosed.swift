/// Control connections that closed lately. The last ACKs of a TCP close
/// (and a late conntrack UPDATE) arrive after we closed the session; without
/// this they would reopen it as a mid-session pickup. Bounded FIFO.
struct RecentlyClosed: Sendable {
    private var order: [ConnectionKey] = []
    /// Key -> the slot in `order` of its latest insertion: a key removed and
    /// inserted again also has an older slot, whose eviction must not forget it.
    private var members: [ConnectionKey: Int] = [:]
    private var head = 0
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    func contains(_ key: ConnectionKey) -> Bool { members[key] != nil }

    mutating func insert(_ key: ConnectionKey) {
        guard members[key] == nil else { return }
        if order.count < capacity {
            members[key] = order.count
            order.append(key)
        } else {
            let evicted = order[head]
            if members[evicted] == head { members[evicted] = nil }
            order[head] = key
            members[key] = head
            head = (head + 1) % capacity
        }
    }

    /// A new connection reused the tuple (a fresh SYN): it is live again.
    mutating func remove(_ key: ConnectionKey) { members[key] = nil }
}
