/// An element comment in nft's userdata format, so `nft list set` shows it:
/// one TLV of type NFTNL_UDATA_SET_ELEM_COMMENT (0), length, NUL-terminated
/// text. nft caps comments at 128 bytes.
enum ElementComment {
    static let commentType: UInt8 = 0
    static let maxBytes = 128

    static func encode(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8.prefix(maxBytes - 1)) + [0]
        return [commentType, UInt8(bytes.count)] + bytes
    }

    /// Bytes `encode(text)` returns, without building them.
    static func encodedCount(_ text: String) -> Int { 2 + min(text.utf8.count, maxBytes - 1) + 1 }

    /// The comment TLV's text; nil if there is none or it is malformed.
    static func decode(_ data: [UInt8]) -> String? {
        var i = 0
        while i + 2 <= data.count {
            let type = data[i], len = Int(data[i + 1])
            guard i + 2 + len <= data.count else { return nil }
            if type == commentType {
                var value = data[(i + 2)..<(i + 2 + len)]
                if value.last == 0 { value = value.dropLast() }
                return String(decoding: value, as: UTF8.self)
            }
            i += 2 + len
        }
        return nil
    }
}
