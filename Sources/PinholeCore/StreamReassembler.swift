/// Bytes that became contiguous after one segment, and whether out-of-order data had to
/// be dropped because the buffer limit was reached.
public struct ReassemblyOutput: Sendable, Equatable {
    public var bytes: [UInt8]
    /// Out-of-order data was dropped because the buffer limit was hit.
    public var overflowed: Bool

    public init(bytes: [UInt8] = [], overflowed: Bool = false) {
        self.bytes = bytes
        self.overflowed = overflowed
    }
}

/// One direction of a TCP stream, ordered by sequence number.
///
/// Each stream byte is delivered exactly once. The first copy of a byte wins: a later
/// retransmission or overlap with different content can change neither delivered nor
/// buffered bytes, so a peer cannot rewrite a line after we have framed it.
public struct StreamReassembler: Sendable {
    /// A run of buffered out-of-order bytes. Runs are disjoint and sorted by distance
    /// from `nextSequence`.
    private struct Run: Sendable {
        var sequence: UInt32
        var bytes: [UInt8]
    }

    /// Segments further than this from `nextSequence`, either way, are ignored.
    static let maxDistance: Int64 = 1 << 30

    public let maxBufferedBytes: Int
    /// Next expected sequence number; nil before the first segment.
    public private(set) var nextSequence: UInt32?
    private var runs: [Run] = []
    /// Bytes currently held in `runs`.
    public private(set) var bufferedBytes = 0

    public init(maxBufferedBytes: Int = 8192) {
        self.maxBufferedBytes = max(0, maxBufferedBytes)
    }

    /// Feeds one segment. Returns bytes that became contiguous (in order, each stream byte
    /// delivered exactly once).
    public mutating func accept(sequence: UInt32, syn: Bool, payload: [UInt8]) -> ReassemblyOutput {
        guard let next = nextSequence else {
            // The first segment sets the base. A SYN occupies one sequence number; data
            // carried on a SYN is not kept (FTP never sends any).
            nextSequence = syn ? sequence &+ 1 : sequence
            return syn ? ReassemblyOutput() : accept(sequence: sequence, syn: false, payload: payload)
        }
        // Data on a (retransmitted) SYN is ignored, as on the first one.
        if syn || payload.isEmpty { return ReassemblyOutput() }
        let distance = Int64(Int32(bitPattern: sequence &- next))
        guard abs(distance) <= Self.maxDistance else { return ReassemblyOutput() }

        // Keep only the parts of the new segment that no earlier copy covers.
        let start = max(distance, 0)
        let end = distance + Int64(payload.count)
        guard start < end else { return ReassemblyOutput() }  // entirely old data
        var cursor = start
        var fresh: [Run] = []
        for run in runs {
            let runStart = Self.offset(of: run.sequence, from: next)
            let runEnd = runStart + Int64(run.bytes.count)
            if runEnd <= cursor { continue }
            if runStart >= end { break }
            if runStart > cursor { fresh.append(slice(payload, distance, cursor, runStart, next)) }
            cursor = max(cursor, runEnd)
        }
        if cursor < end { fresh.append(slice(payload, distance, cursor, end, next)) }
        for run in fresh { bufferedBytes += run.bytes.count }
        runs.append(contentsOf: fresh)
        runs.sort { Self.offset(of: $0.sequence, from: next) < Self.offset(of: $1.sequence, from: next) }

        var output = ReassemblyOutput(bytes: drain())
        output.overflowed = trimToLimit()
        return output
    }

    /// Distance of `sequence` ahead of `base`; callers guarantee it is ahead.
    private static func offset(of sequence: UInt32, from base: UInt32) -> Int64 {
        Int64(sequence &- base)
    }

    /// Payload bytes for stream offsets [from, to) relative to `next`, as a run.
    private func slice(_ payload: [UInt8], _ distance: Int64, _ from: Int64, _ to: Int64, _ next: UInt32) -> Run {
        let lower = Int(from - distance), upper = Int(to - distance)
        return Run(sequence: next &+ UInt32(truncatingIfNeeded: from), bytes: Array(payload[lower..<upper]))
    }

    /// Delivers runs that start at `nextSequence`. Runs are disjoint, so each one that
    /// is reached starts exactly at the cursor.
    private mutating func drain() -> [UInt8] {
        guard var next = nextSequence else { return [] }
        var out: [UInt8] = []
        var delivered = 0
        for run in runs {
            guard run.sequence == next else { break }
            out += run.bytes
            next = next &+ UInt32(truncatingIfNeeded: run.bytes.count)
            bufferedBytes -= run.bytes.count
            delivered += 1
        }
        runs.removeFirst(delivered)
        nextSequence = next
        return out
    }

    /// Drops the furthest runs until the buffer fits; true if anything was dropped.
    /// Keeping the nearest bytes keeps the data most likely to become contiguous.
    private mutating func trimToLimit() -> Bool {
        var dropped = false
        while bufferedBytes > maxBufferedBytes, var last = runs.popLast() {
            dropped = true
            let excess = bufferedBytes - maxBufferedBytes
            if excess < last.bytes.count {
                last.bytes.removeLast(excess)
                bufferedBytes -= excess
                runs.append(last)
            } else {
                bufferedBytes -= last.bytes.count
            }
        }
        return dropped
    }
}
