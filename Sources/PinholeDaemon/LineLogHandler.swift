import Glibc
import Logging

/// One line per event on stderr (journald adds its own timestamp, but a
/// foreground run and the tests want one too):
/// `2026-11-25T10:07:54.123Z info pinhole opened service=lab ...`
///
/// One event is always exactly one line: control characters in the message
/// and in metadata keys and values (nft's multi-line errors, a policy value
/// with a newline in it) are written escaped (`\n`, `\r`, `\t`, `\xNN`).
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(level: Logger.Level) { logLevel = level }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.isEmpty ? event.metadata ?? [:] : metadata.merging(event.metadata ?? [:]) { $1 }
        let line = Self.line(time: SystemClock.rfc3339(SystemClock.wallSeconds()), level: event.level,
                             message: "\(event.message)", metadata: merged)
        // fd 2 directly: Swift 6 rejects the `stderr` global.
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    /// The line written for one event, ending in its only `\n`.
    static func line(time: String, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(time) \(level) \(escapingControlCharacters(message))"
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(escapingControlCharacters(k))=\(escapingControlCharacters("\(v)"))"
        }
        line += "\n"
        return line
    }

    /// `s` with every C0 control character and DEL escaped: `\n`, `\r`, `\t`
    /// as such, the others as `\xNN`. Returns `s` itself when it has none
    /// (the common case: one scan of its UTF-8, no copy).
    static func escapingControlCharacters(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += hex.count == 1 ? "\\x0\(hex)" : "\\x\(hex)"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
