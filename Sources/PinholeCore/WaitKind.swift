/// What the daemon handled last, as a guess at how soon its next event
/// comes: the key of a `SpinWindows` entry. In the lab, the reply to PWD
/// or QUIT came within tens of µs, and a SYN within a few after a 229; the
/// 150 after RETR took 70-110 µs on a fast VM and over 150 µs on a slow one,
/// the 331 after USER about 1 ms (bench/FINDINGS.md, "A spin window per wait",
/// "Windows up to the whole limit").
///
/// Read from the payload's shape alone, without knowing its direction: a
/// server's reply starts with three digits, a client's command with
/// letters. A peer can pick its key, and so teach a window that every
/// session shares, but no window spins longer than its cap, and the table
/// of windows stays bounded (`SpinWindows.maxKinds`).
public enum WaitKind: Hashable, Sendable {
    /// A line starting with a letter: its first (up to) four letters, upper case.
    case command(UInt32)
    /// A line starting with three digits: the reply code.
    case reply(UInt16)
    /// A copy with no payload (SYN-ACK, FIN, RST): its flags.
    case flags(UInt8)
    /// Anything else copied: a continuation line, text, binary.
    case otherPayload
    /// A conntrack event (a data connection's NEW, a session's DESTROY).
    case conntrackEvent
    /// A SYN in the race guard's queue.
    case queuedSyn
    /// Nothing yet, or a control-socket request.
    case other

    public init(segment: TCPSegment) {
        let p = segment.payload
        guard let first = p.first else {
            self = .flags(segment.flags.rawValue)
            return
        }
        if p.count >= 3, let code = FTPNumbers.decimal(p.prefix(3), maxDigits: 3) {
            self = .reply(UInt16(code))
            return
        }
        guard WaitKind.isLetter(first) else {
            self = .otherPayload
            return
        }
        var verb: UInt32 = 0
        for byte in p.prefix(4) {
            guard WaitKind.isLetter(byte) else { break }
            verb = verb << 8 | UInt32(byte & 0xdf)  // ASCII upper case
        }
        self = .command(verb)
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a }
}
