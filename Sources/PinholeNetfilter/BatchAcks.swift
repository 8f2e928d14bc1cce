import CNetfilter

extension NetlinkSocket {
    /// Reads every reply to one nf_tables batch (src/mnl.c's pattern). The
    /// replies are queued by the time sendto returns (nfnetlink runs the batch
    /// in our context), so it reads without blocking until empty, and blocks
    /// briefly only while ACKs in `expected` are missing. The first error wins:
    /// after it the kernel aborted the whole batch, and `describe` traces it
    /// back to the message (sequence) and attribute that caused it.
    func readBatchAcks(into buffer: inout [UInt8], sequences: ClosedRange<UInt32>, expected: Set<UInt32>,
                       operation: String, context: String?,
                       describe: (NetlinkAck) -> NetfilterError) throws(NetfilterError) {
        var pending = expected
        var failure: NetfilterError?
        while true {
            let waitForMore = failure == nil && !pending.isEmpty
            switch try receive(into: &buffer, dontWait: !waitForMore, operation: "read \(operation) ACKs") {
            case .wouldBlock:
                if let failure { throw failure }
                if !pending.isEmpty {
                    throw NetfilterError(operation: operation, code: ETIMEDOUT, context: context,
                                         detail: "\(pending.count) ACK(s) missing; whether it committed is unknown, resync")
                }
                return
            case .overflow:
                throw NetfilterError(operation: operation, code: ENOBUFS, context: context,
                                     detail: "ACKs lost; whether it committed is unknown, resync")
            case .bytes(let n):
                for m in NetlinkMessage.parse(buffer[0..<n]) {
                    guard failure == nil, let ack = NetlinkAck(m), sequences.contains(ack.sequence) else { continue }
                    if ack.errno == 0 {
                        pending.remove(ack.sequence)
                    } else {
                        failure = describe(ack)
                    }
                }
            }
        }
    }
}
