import CNetfilter

extension NetlinkSocket {
    /// Sends one request and reads its replies (blocking, bounded by SO_RCVTIMEO)
    /// until NLMSG_DONE, its ACK or its error. Replies to other sequence numbers
    /// (left over from an earlier, failed exchange) are skipped.
    func transact(_ request: [UInt8], sequence: UInt32, buffer: inout [UInt8],
                  operation: String, context: String?,
                  onMessage: (NetlinkMessage) -> Void) throws(NetfilterError) {
        try send(request, operation: "\(operation) (\(context ?? "")): send")
        while true {
            switch try receive(into: &buffer, operation: operation) {
            case .wouldBlock:
                throw NetfilterError(operation: operation, code: ETIMEDOUT, context: context, detail: "no reply from the kernel")
            case .overflow:
                throw NetfilterError(operation: operation, code: ENOBUFS, context: context, detail: "replies lost")
            case .bytes(let n):
                for m in NetlinkMessage.parse(buffer[0..<n]) where m.sequence == sequence {
                    if m.type == UInt16(NLMSG_DONE) { return }
                    if let ack = NetlinkAck(m) {
                        if ack.errno == 0 { return }
                        throw NetfilterError(operation: operation, code: ack.errno, context: context, detail: ack.message)
                    }
                    onMessage(m)
                }
            }
        }
    }

    /// One nfnetlink CONFIG message of `subsystem` (nfnetlink_log or
    /// nfnetlink_queue) for `resourceID` (the NFLOG group or queue number),
    /// its ACK read and checked unless `wait` is false.
    func configure(subsystem: UInt16, messageType: UInt16, resourceID: UInt16, _ attributes: [(UInt16, [UInt8])],
                   buffer: inout [UInt8], operation: String, context: String?, wait: Bool = true) throws(NetfilterError) {
        let seq = nextSequence()
        var b = NetlinkMessageBuilder(type: cnf_nfnl_msg_type(subsystem, messageType), flags: wait ? UInt16(NLM_F_ACK) : 0,
                                      sequence: seq, family: UInt8(AF_UNSPEC), resourceID: resourceID)
        for (type, value) in attributes { b.attribute(type, value) }
        guard wait else {
            try send(b.finish(), operation: operation)
            return
        }
        try transact(b.finish(), sequence: seq, buffer: &buffer, operation: operation, context: context) { _ in }
    }
}
