#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Yams composes a YAML file by recursion, a few stack frames per level of
/// nesting, and a nested Node tree is released by recursion too: a deep
/// enough file overflows any fixed stack (10,000 `[` overflowed the main
/// thread's 8 MiB, in `pinholectl check` and in pinholed's start-up and
/// SIGHUP reload). NestingGuard refuses plainly deep files with a message;
/// this is the backstop for the shapes its estimate misses (a bracket inside
/// a multi-line quoted string): the whole parse runs on a thread whose stack
/// holds the deepest nesting the file's characters allow.
enum DeepStack {
    /// Stack per level of nesting, generous: a debug build parsed 150,050
    /// levels (a file the guard's estimate misses) within 2 KiB a level.
    static let bytesPerLevel = 2048
    static let baseStackBytes = 1 << 20
    /// Beyond this many levels a file is refused unparsed (1 GiB of stack).
    static let maxLevels = 512 * 1024

    /// Runs `work` on a thread with a stack for `levels` levels and waits
    /// for it; 0, or the errno pthread_create gave.
    static func run(levels: Int, _ work: @escaping () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, baseStackBytes + levels * bytesPerLevel)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Work(work)).toOpaque()
        let rc = pthread_create(&thread, &attributes, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Work>.fromOpaque(context).release()
            return rc
        }
        pthread_join(thread, nil)
        return 0
    }

    /// An upper bound of how deep a YAML text nests: every collection opens
    /// with an indicator of its own, `[` or `{`, or `-`, `?` or `:` followed
    /// by a space, a line end or a flow indicator (and a `:` right after a
    /// quoted key, `{"a":1}`). Colons inside IPv6 addresses are not.
    static func maxDepth(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        var count = 1
        for (i, c) in bytes.enumerated() {
            switch c {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                count += 1
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
                let next = i + 1 < bytes.count ? bytes[i + 1] : UInt8(ascii: "\n")
                let previous = i > 0 ? bytes[i - 1] : UInt8(ascii: "\n")
                let afterQuotedKey = c == UInt8(ascii: ":") && (previous == UInt8(ascii: "\"") || previous == UInt8(ascii: "'"))
                if endsIndicator(next) || afterQuotedKey { count += 1 }
            default:
                break
            }
        }
        return count
    }

    private static func endsIndicator(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
             UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"):
            true
        default:
            false
        }
    }

    /// The closure, handed to the thread; its results reach the caller
    /// through what it captured, read after pthread_join.
    private final class Work: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
