import Glibc

/// Writes straight to fd 1 and 2 (Swift 6 has no safe stdout/stderr globals).
enum Output {
    static func out(_ text: String) { write(1, text) }
    static func err(_ text: String) { write(2, text) }

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }  // a closed pipe: nothing more to do
            bytes = bytes.dropFirst(n)
        }
    }
}
