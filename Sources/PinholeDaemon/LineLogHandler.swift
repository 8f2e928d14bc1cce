import Glibc
import Logging
import PinholeCore

/// One line per event on stderr (journald adds its own timestamp, but a
/// foreground run and the tests want one too):
/// `2026-11-25T10:07:54.123Z info pinhole opened service=lab ...`
///
/// One event is always exactly one line: control characters in the message
/// and in metadata keys and values (nft's multi-line errors, a policy value
/// with a newline in it) are written escaped (`\n`, `\r`, `\t`, `\xNN`).
///
/// Under systemd each line starts with its syslog priority (`<5>`), which
/// journald takes off and keeps as the entry's priority (JournalStream).
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    /// Whether stderr is the journal's stream.
    let journal: Bool

    init(level: Logger.Level, journal: Bool) {
        logLevel = level
        self.journal = journal
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.isEmpty ? event.metadata ?? [:] : metadata.merging(event.metadata ?? [:]) { $1 }
        let line = Self.line(time: SystemClock.rfc3339(SystemClock.wallSeconds()), level: event.level,
                             message: "\(event.message)", metadata: merged, journal: journal)
        // fd 2 directly: Swift 6 rejects the `stderr` global.
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    /// The line written for one event, ending in its only `\n`.
    static func line(time: String, level: Logger.Level, message: String, metadata: Logger.Metadata,
                     journal: Bool = false) -> String {
        var line = (journal ? JournalStream.prefix(level) : "") + "\(time) \(level) \(message.escapingControlCharacters())"
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(k.escapingControlCharacters())=\("\(v)".escapingControlCharacters())"
        }
        line += "\n"
        return line
    }
}
