/// Sessions whose connection has exchanged no byte yet, oldest first: the
/// ones a full session table gives up for a new connection. Without this, a
/// SYN flood to a control port (spoofed sources, so the handshakes never
/// complete) would hold every place in `limits.sessions` until conntrack
/// forgets the half-open entries (60 s in SYN_RECV) and lock every real
/// client out of its pinholes. A real client's session stays quiet for one
/// round trip (until the server's banner), so a flood evicts it only when it
/// opens `limits.sessions` connections within that round trip.
///
/// Entries are checked when they reach the front: one whose session has
/// since spoken, closed or been replaced by a newer one on the same tuple is
/// skipped. The queue is compacted when stale entries outnumber the live
/// sessions, so it stays O(sessions) however many connections come and go.
struct QuietSessions: Sendable {
    private struct Entry: Sendable {
        let key: ConnectionKey
        /// Which session on this tuple it is (`Session.serial`).
        let serial: UInt64
    }

    private var entries: [Entry] = []
    private var head = 0

    var count: Int { entries.count - head }

    mutating func append(_ key: ConnectionKey, serial: UInt64, sessions: [ConnectionKey: Session]) {
        entries.append(Entry(key: key, serial: serial))
        if count > 2 * sessions.count + 64 { compact(sessions) }
    }

    /// The oldest session in `sessions` that is still quiet, taken off the
    /// queue with the stale entries before it; nil if none is.
    mutating func popOldest(in sessions: [ConnectionKey: Session]) -> ConnectionKey? {
        while head < entries.count {
            let e = entries[head]
            head += 1
            if QuietSessions.isQuiet(e, sessions) {
                trimFront()
                return e.key
            }
        }
        entries.removeAll(keepingCapacity: true)
        head = 0
        return nil
    }

    /// Whether `key`'s session `serial` is queued (for the fuzzer's invariant
    /// that every evictable session can be given up).
    func holds(_ key: ConnectionKey, serial: UInt64) -> Bool {
        entries[head...].contains { $0.key == key && $0.serial == serial }
    }

    private static func isQuiet(_ e: Entry, _ sessions: [ConnectionKey: Session]) -> Bool {
        guard let s = sessions[e.key] else { return false }
        return s.serial == e.serial && s.isEvictable
    }

    private mutating func compact(_ sessions: [ConnectionKey: Session]) {
        entries = entries[head...].filter { QuietSessions.isQuiet($0, sessions) }
        head = 0
    }

    /// Drops the popped front once it is most of the array (amortized O(1)).
    private mutating func trimFront() {
        guard head > 1024, head * 2 > entries.count else { return }
        entries.removeFirst(head)
        head = 0
    }
}
