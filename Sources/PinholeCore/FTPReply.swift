/// A server reply line, as far as pinholes are concerned.
public enum FTPReply: Sendable, Equatable {
    /// A final single-line "227 ..." with (h1,h2,h3,h4,p1,p2).
    case enteringPassive(IPAddress, UInt16)
    /// A final single-line "229 ... (|||port|)".
    case enteringExtendedPassive(UInt16)
    /// Any other final reply line "NNN text" or bare "NNN", including the closing line
    /// of a multi-line reply.
    case otherFinal(code: Int)
    /// A line that opens or continues a multi-line reply, or is no reply line at all:
    /// never interpreted.
    case continuation
    /// A final 227/229 line that does not parse strictly or closes a multi-line 227/229
    /// reply (.malformed), or a final reply line with a NUL byte (.nulByte).
    case malformed(Refusal)
    /// A line with a NUL byte that answers nothing: it opens or continues a
    /// multi-line reply, or is no reply line at all. Refused and counted, but
    /// the command still waits for its reply: taking it for one would pair
    /// every later reply with the wrong command.
    case refusedText(Refusal)

    /// Whether the line answers the oldest outstanding command (the inspector
    /// dequeues it): anything but a continuation or a 1xx preliminary reply.
    public var isFinal: Bool {
        switch self {
        case .continuation, .refusedText: false
        case .otherFinal(let code): code >= 200
        case .enteringPassive, .enteringExtendedPassive, .malformed: true
        }
    }
}

/// Reads server reply lines, tracking multi-line replies (RFC 959 4.2): "NNN-" opens one,
/// and only a line starting with the same "NNN " closes it; every line in between is
/// text (`.continuation`), even if it looks like "227 Entering Passive Mode (...)".
///
/// The closing line is the reply's final line, so the caller can match it to its
/// command: `.otherFinal(code)` for ordinary codes (FEAT, HELP, STAT answers are
/// multi-line). Strictness: a 227/229 reply that was multi-line is never honoured; its
/// closing line is `.malformed(.malformed)`. Real servers send 227/229 on one line, and a
/// multi-line one is either odd or an attempt to smuggle a line that a segment-anchored
/// parser would take for a fresh reply. (Returning `.continuation` there instead would
/// hide that the reply ended, and leave the PASV/EPSV waiting for a later reply.)
public struct FTPReplyReader: Sendable {
    private static let space: UInt8 = 0x20
    private static let hyphen: UInt8 = 0x2d

    /// The code of the multi-line reply in progress, if any.
    public private(set) var openMultiLineCode: Int?
    /// The code of the multi-line reply that the last `read` closed; nil otherwise.
    /// Informational: the returned value already says the reply is final.
    public private(set) var closedReplyCode: Int?

    public init() {}

    public mutating func read(_ line: [UInt8]) -> FTPReply {
        closedReplyCode = nil
        let code = Self.code(line)
        let separator = line.count > 3 ? line[3] : nil

        if let open = openMultiLineCode {
            guard code == open, separator == Self.space else {
                return line.contains(0) ? .refusedText(.nulByte) : .continuation
            }
            openMultiLineCode = nil
            closedReplyCode = open
            // The closing line answers the command, unless the reply is a 1xx.
            if line.contains(0) { return open >= 200 ? .malformed(.nulByte) : .refusedText(.nulByte) }
            return open == 227 || open == 229 ? .malformed(.malformed) : .otherFinal(code: open)
        }
        if let code, separator == Self.hyphen {
            openMultiLineCode = code
            return line.contains(0) ? .refusedText(.nulByte) : .continuation
        }
        guard let code else {
            if line.contains(0) { return .refusedText(.nulByte) }
            // Not a reply line. Something that starts like 227/229 is refused, so it is
            // counted; anything else is text nobody interprets.
            return Self.startsLikePassiveReply(line) ? .malformed(.malformed) : .continuation
        }
        if line.contains(0) {
            // A final reply line ("NNN text" or bare "NNN", 200 and up) still
            // answers its command; a 1xx one, like any text, answers nothing.
            let isReplyLine = separator == Self.space || separator == nil
            return isReplyLine && code >= 200 ? .malformed(.nulByte) : .refusedText(.nulByte)
        }
        switch (code, separator) {
        case (227, Self.space):
            guard let (address, port) = Self.parse227(line[4...]) else { return .malformed(.malformed) }
            return .enteringPassive(address, port)
        case (229, Self.space):
            guard let port = Self.parse229(line[4...]) else { return .malformed(.malformed) }
            return .enteringExtendedPassive(port)
        case (227, nil), (229, nil):
            return .malformed(.malformed)  // bare "227" carries no address
        case (_, Self.space), (_, nil):
            return .otherFinal(code: code)
        default:
            return Self.startsLikePassiveReply(line) ? .malformed(.malformed) : .continuation
        }
    }

    /// The reply code if the line starts with three digits, the first 1-5, followed by
    /// the end of the line, a space or a hyphen.
    private static func code(_ line: [UInt8]) -> Int? {
        guard line.count >= 3, line[0] >= 0x31, line[0] <= 0x35,
              let value = FTPNumbers.decimal(line[0..<3], maxDigits: 3)
        else { return nil }
        if line.count > 3, line[3] != space, line[3] != hyphen { return nil }
        return value
    }

    private static func startsLikePassiveReply(_ line: [UInt8]) -> Bool {
        line.starts(with: "227".utf8) || line.starts(with: "229".utf8)
    }

    /// The six numbers after "227 ": either "(h1,h2,h3,h4,p1,p2)" or, paren-less, the
    /// first digit run after a space or "=" ("227 =h1,h2,h3,h4,p1,p2"). The run must be
    /// exactly the six fields, and end at ")" (parenthesised) or at the end, a space
    /// or "." (paren-less).
    static func parse227(_ text: ArraySlice<UInt8>) -> (IPAddress, UInt16)? {
        guard let first = text.firstIndex(where: FTPNumbers.isDigit) else { return nil }
        var end = first
        while end < text.endIndex, FTPNumbers.isDigit(text[end]) || text[end] == 0x2c { end += 1 }
        let before = first > text.startIndex ? text[first - 1] : nil
        let after = end < text.endIndex ? text[end] : nil
        if before == 0x28 {  // "("
            guard after == 0x29 else { return nil }  // ")"
        } else {
            guard before == space || before == 0x3d,  // "="
                  !text[..<first].contains(0x28),
                  after == nil || after == space || after == 0x2e
            else { return nil }
        }
        return FTPNumbers.hostPort(text[first..<end])
    }

    /// "(" d d d port d ")" after "229 ", d one delimiter (printable, not a digit), the
    /// port 1-65535 in 1-5 digits.
    static func parse229(_ text: ArraySlice<UInt8>) -> UInt16? {
        guard let open = text.firstIndex(of: 0x28) else { return nil }
        let rest = text[(open + 1)...]
        guard let close = closingIndex(rest) else { return nil }
        guard let fields = FTPNumbers.delimitedFields(rest[..<close], count: 3),
              fields[0].isEmpty, fields[1].isEmpty
        else { return nil }
        return FTPNumbers.port(fields[2])
    }

    /// Index of the ")" ending "d d d digits d": the delimiter may itself be ")", so
    /// the position is found from the structure, not by searching.
    private static func closingIndex(_ rest: ArraySlice<UInt8>) -> Int? {
        var i = rest.startIndex + 3
        while i < rest.endIndex, FTPNumbers.isDigit(rest[i]), i - rest.startIndex < 9 { i += 1 }
        let close = i + 1  // past the final delimiter
        guard close < rest.endIndex, rest[close] == 0x29 else { return nil }
        return close
    }
}
