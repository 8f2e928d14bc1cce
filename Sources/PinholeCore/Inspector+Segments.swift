extension Inspector {
    /// One copied segment of a control connection (either direction).
    public mutating func handle(segment: TCPSegment, now: Instant) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        guard let (key, service, fromClient) = controlConnection(
            source: segment.source, sourcePort: segment.sourcePort,
            destination: segment.destination, destinationPort: segment.destinationPort) else { return events }
        // A SYN/ACK starts a fresh connection, so both streams begin at a line
        // start; anything else means we joined mid-session.
        let fresh = !fromClient && segment.flags.contains(.syn) && !segment.flags.contains(.rst)
        if fresh, let isn = sessions[key]?.serverISN, isn != segment.sequence {
            closeSession(key, reason: .reused, events: &events)  // same ports, new connection
        }
        if sessions[key] == nil {
            if segment.flags.contains(.rst) || segment.flags.contains(.fin) { return events }
            if fresh { recentlyClosed.remove(key) } else if recentlyClosed.contains(key) { return events }
            // A handshake segment (a SYN the client sent again, a SYN/ACK) of
            // a connection given up at the limit would take a place again
            // each time a flood re-sends it.
            if segment.payload.isEmpty, recentlyEvicted.contains(key) { return events }
            // No byte yet (a client's SYN sent again is `ct state established`
            // once the SYN/ACK passed, and copied): quiet, or a flood sending
            // each SYN twice would fill the limit with sessions nothing gives up.
            guard openSession(key, service: service, midstream: !fresh, quiet: segment.payload.isEmpty,
                              events: &events) else { return events }
            if fresh { sessions[key]?.awaitingConntrackNew = true }
        }
        // Also for a session opened untrusted before it (a reused tuple's NEW).
        if fresh, sessions[key]?.serverISN == nil { sessions[key]?.startStreams(serverISN: segment.sequence) }
        guard var s = sessions[key] else { return events }
        if !segment.payload.isEmpty { s.quiet = false }
        let (lines, overflowed) = fromClient ? s.client.accept(segment) : s.server.accept(segment)
        sessions[key] = s
        if overflowed {
            refuse(key, .reassemblyOverflow, "out-of-order data beyond the reassembly buffer", events: &events)
        }
        for line in lines {
            guard sessions[key] != nil else { break }
            if fromClient {
                clientLine(line, session: key, service: service, now: now, events: &events)
            } else {
                serverLine(line, session: key, service: service, now: now, events: &events)
            }
        }
        if segment.flags.contains(.rst) {
            closeSession(key, reason: .rst, events: &events)
        } else if segment.flags.contains(.fin) {
            closeSession(key, reason: .fin, events: &events)
        }
        return events
    }

    private mutating func markSuspect(_ key: ConnectionKey, _ reason: Refusal, _ detail: String,
                                      events: inout [InspectorEvent]) {
        if sessions[key]?.suspect == nil { sessions[key]?.suspect = reason }
        refuse(key, reason, "\(detail); session marked suspect", events: &events)
    }

    private mutating func clientLine(_ framed: FramedLine, session key: ConnectionKey, service: Service,
                                     now: Instant, events: inout [InspectorEvent]) {
        let line: [UInt8]
        switch framed {
        case .line(let l): line = l
        case .overlong:
            markSuspect(key, .overlongLine, "client line over \(StreamReader.maxLineLength) bytes", events: &events)
            return
        case .bareLF:
            // The way to smuggle a line into a server's echo of an argument.
            markSuspect(key, .bareLineFeed, "client line ends in a bare LF, not CRLF", events: &events)
            return
        }
        // A reply-shaped line from the client is an attempt to fake a 227/229.
        if let first = line.first, first >= 0x30, first <= 0x39 {
            var probe = FTPReplyReader()
            switch probe.read(line) {
            case .enteringPassive, .enteringExtendedPassive:
                refuse(key, .wrongDirection, "227/229 reply sent by the client", events: &events)
                sessions[key]?.enqueue(.other)
                return
            default: break
            }
        }
        switch FTPCommand.parse(line) {
        case .pasv:
            sessions[key]?.armedActive = nil
            sessions[key]?.enqueue(.pasv)
            (lastPassiveRequest, lastPassiveRequestAnswered, lastPassiveRequestSession) = (now, false, key)
        case .epsv:
            sessions[key]?.armedActive = nil
            sessions[key]?.enqueue(.epsv)
            (lastPassiveRequest, lastPassiveRequestAnswered, lastPassiveRequestSession) = (now, false, key)
        case .epsvAll, .other: sessions[key]?.enqueue(.other)
        case .transfer:
            let armed = sessions[key]?.armedActive
            sessions[key]?.enqueue(.transfer(armed))
            sessions[key]?.armedActive = nil
        case .malformed(let reason):
            refuse(key, reason, "client line is not a well-formed command", events: &events)
            sessions[key]?.enqueue(.other)
        case .port(let addr, let port):
            let opened = activeRequest(addr, port, eprt: false, session: key, service: service, now: now, events: &events)
            sessions[key]?.enqueue(.port(opened))
            sessions[key]?.armedActive = opened
        case .eprt(let addr, let port):
            let opened = activeRequest(addr, port, eprt: true, session: key, service: service, now: now, events: &events)
            sessions[key]?.enqueue(.port(opened))
            sessions[key]?.armedActive = opened
        }
    }

    private mutating func serverLine(_ framed: FramedLine, session key: ConnectionKey, service: Service,
                                     now: Instant, events: inout [InspectorEvent]) {
        let line: [UInt8]
        switch framed {
        // Servers are read as the kernel helper reads them: a bare LF ends a line too.
        case .line(let l), .bareLF(let l): line = l
        case .overlong:
            markSuspect(key, .overlongLine, "server line over \(StreamReader.maxLineLength) bytes", events: &events)
            return
        }
        // A command-shaped line from the server is an attempt to fake PORT/EPRT.
        if let first = line.first, first | 0x20 == 0x70 || first | 0x20 == 0x65 {
            switch FTPCommand.parse(line) {
            case .port, .eprt:
                refuse(key, .wrongDirection, "PORT/EPRT sent by the server", events: &events)
                return
            default: break
            }
        }
        guard var s = sessions[key] else { return }
        let reply = s.replies.read(line)
        sessions[key] = s
        if case .refusedText(let reason) = reply {
            refuse(key, reason, "server text line has a NUL byte", events: &events)
        }
        // A continuation, refused text or a 1xx preliminary reply: the command still waits.
        guard reply.isFinal else { return }
        if let front = s.outstanding.first, front == .pasv || front == .epsv {
            lastPassiveRequestAnswered = true
        }
        switch reply {
        case .continuation, .refusedText:
            return  // not final: returned above
        case .otherFinal(let code):
            // A refused PORT/EPRT, or a refused transfer command that was to
            // use its pinhole: the server will not connect (vsftpd connects
            // only once a RETR succeeds), and the session's limit must not
            // fill up with pinholes nobody will use. Only while the pinhole is
            // still this session's: another session (the same client behind
            // NAT) may have taken the tuple over since.
            switch sessions[key]?.dequeue() {
            case .port(let opened?)?, .transfer(let opened?)?:
                if code >= 400, pinholes[opened]?.session == key {
                    closePinhole(opened, reason: .rejectedByServer, events: &events)
                }
            default: break
            }
        case .malformed(let reason):
            _ = sessions[key]?.dequeue()
            refuse(key, reason, "server reply is not a well-formed 227/229", events: &events)
        case .enteringPassive(let addr, let port):
            let request = sessions[key]?.dequeue()
            guard request == .pasv else {
                refuse(key, .unsolicitedReply, "227 without a pending PASV", events: &events)
                return
            }
            guard addr.family == key.family else {
                refuse(key, .familyMismatch, "227 names \(addr) on an \(key.family.rawValue) connection", events: &events)
                return
            }
            guard addr == key.server else {
                refuse(key, .addressMismatch, "227 names \(addr), not the server \(key.server)", events: &events)
                return
            }
            passiveRequest(port, code: 227, session: key, service: service, now: now, events: &events)
        case .enteringExtendedPassive(let port):
            let request = sessions[key]?.dequeue()
            guard request == .epsv else {
                refuse(key, .unsolicitedReply, "229 without a pending EPSV", events: &events)
                return
            }
            passiveRequest(port, code: 229, session: key, service: service, now: now, events: &events)
        }
    }

    /// Shared checks for every pinhole request; nil when it may open.
    private func portProblem(_ port: UInt16, _ service: Service) -> (Refusal, String)? {
        if port < 1024 { return (.privilegedPort, "port \(port) is below 1024") }
        if !service.dataPorts.contains(port) {
            return (.portOutOfRange, "port \(port) is outside data_ports \(service.dataPorts)")
        }
        return nil
    }

    private mutating func admissible(_ key: ConnectionKey, _ service: Service, events: inout [InspectorEvent]) -> Bool {
        if !service.allowsClient(key.client) {
            refuse(key, .clientNotAllowed, "client \(key.client) is not in clients of \(service.name)", events: &events)
            return false
        }
        if let why = sessions[key]?.suspect {
            refuse(key, why, "session is suspect (\(why.rawValue)); nothing opens", events: &events)
            return false
        }
        return true
    }

    private mutating func passiveRequest(_ port: UInt16, code: Int, session key: ConnectionKey, service: Service,
                                         now: Instant, events: inout [InspectorEvent]) {
        guard service.passive else {
            refuse(key, .modeDisabled, "\(code) reply but passive is off for \(service.name)", events: &events)
            return
        }
        if let (reason, detail) = portProblem(port, service) {
            refuse(key, reason, "\(code) reply: \(detail)", events: &events)
            return
        }
        guard admissible(key, service, events: &events) else { return }
        let pk = PinholeKey(initiator: key.client, responder: key.server, port: port)
        _ = openPinhole(pk, mode: .passive, session: key, service: service, now: now, events: &events)
    }

    private mutating func activeRequest(_ addr: IPAddress, _ port: UInt16, eprt: Bool, session key: ConnectionKey,
                                        service: Service, now: Instant, events: inout [InspectorEvent]) -> PinholeKey? {
        let verb = eprt ? "EPRT" : "PORT"
        guard service.active else {
            refuse(key, .modeDisabled, "\(verb) but active is off for \(service.name)", events: &events)
            return nil
        }
        guard addr.family == key.family else {
            refuse(key, .familyMismatch, "\(verb) names \(addr) on an \(key.family.rawValue) connection", events: &events)
            return nil
        }
        guard addr == key.client else {
            refuse(key, .addressMismatch, "\(verb) names \(addr), not the client \(key.client)", events: &events)
            return nil
        }
        if let (reason, detail) = portProblem(port, service) {
            refuse(key, reason, "\(verb): \(detail)", events: &events)
            return nil
        }
        guard admissible(key, service, events: &events) else { return nil }
        let pk = PinholeKey(initiator: key.server, responder: key.client, port: port)
        return openPinhole(pk, mode: .active, session: key, service: service, now: now, events: &events) ? pk : nil
    }
}
