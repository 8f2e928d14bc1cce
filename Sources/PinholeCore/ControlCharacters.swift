extension String {
    /// This string with every C0 control character and DEL escaped: `\n`,
    /// `\r`, `\t` as such, the others as `\xNN`, so that text from outside
    /// (nft's errors, a policy's values) stays on one line of a log or of
    /// `pinholectl check`. Returns the string itself when it has none (one
    /// scan of its UTF-8, no copy). Backslashes are not escaped.
    public func escapingControlCharacters() -> String {
        guard utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
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
