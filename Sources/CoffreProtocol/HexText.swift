/// The lowercase hexadecimal text of fixed-size ids (`OpaqueIdentifier`, `BlobID`), read and
/// written as big-endian 64-bit words straight from and into UTF-8 bytes.
///
/// Not generic over the text type: ids arrive by the million in feeds and commits and twice in
/// every blob URL, and a parser generic over `StringProtocol` that the caller's module cannot
/// specialize pays for metadata lookups on every character. Callers lend the UTF-8 bytes
/// (`String.withUTF8`, `withContiguousStorageIfAvailable`), the words are read with one table
/// look-up per character. Only `0-9a-f` are digits: uppercase, signs, prefixes and whitespace
/// are refused, as the canonical forms require.
public enum HexText {
    /// Characters per 64-bit word.
    public static let charactersPerWord = 16

    /// The value of each byte as a hexadecimal digit: 0–15 for `0-9a-f`, 0xFF for every other
    /// byte (uppercase included).
    @usableFromInline
    static let digitValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in "0123456789abcdef".utf8.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The lowercase digits, by value.
    @usableFromInline
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Reads `words.count` words from exactly `16 × words.count` UTF-8 bytes; false (with
    /// `words` partly written) when the length differs or any byte is not in `0-9a-f`.
    @inlinable
    public static func parse(_ text: UnsafeRawBufferPointer, into words: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        guard text.count == words.count &* charactersPerWord else { return false }
        return digitValues.withUnsafeBufferPointer { values in
            var offset = 0
            for wordIndex in 0..<words.count {
                var word: UInt64 = 0
                // Any invalid byte sets a bit of 0xF0, checked once per word.
                var invalid: UInt8 = 0
                for _ in 0..<charactersPerWord {
                    let value = values[Int(text[offset])]
                    invalid |= value
                    word = word << 4 | UInt64(value & 0x0F)
                    offset &+= 1
                }
                guard invalid & 0xF0 == 0 else { return false }
                words[wordIndex] = word
            }
            return true
        }
    }

    /// Reads words from the UTF-8 of any string type, through its contiguous storage when it
    /// has one (native strings and substrings do).
    @inlinable
    public static func parse(_ text: some StringProtocol, into words: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        // Length first, so a hostile megabyte is refused without being scanned or copied.
        guard text.utf8.count == words.count &* charactersPerWord else { return false }
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ parse(UnsafeRawBufferPointer($0), into: words) }) {
            return parsed
        }
        var copy = String(text)
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0), into: words) }
    }

    /// Writes each word as 16 lowercase digits into `text`, which holds exactly
    /// `16 × words.count` bytes.
    @inlinable
    public static func write(_ words: UnsafeBufferPointer<UInt64>, into text: UnsafeMutableRawBufferPointer) {
        precondition(text.count == words.count &* charactersPerWord, "hex text buffer of the wrong size")
        digits.withUnsafeBufferPointer { digits in
            var offset = 0
            for word in words {
                var shift: UInt64 = 60
                for _ in 0..<charactersPerWord {
                    text[offset] = digits[Int(truncatingIfNeeded: (word >> shift) & 0x0F)]
                    offset &+= 1
                    shift &-= 4
                }
            }
        }
    }

    /// The words as one string of lowercase digits.
    @inlinable
    public static func string(_ words: UnsafeBufferPointer<UInt64>) -> String {
        let count = words.count &* charactersPerWord
        return String(unsafeUninitializedCapacity: count) { buffer in
            write(words, into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<count])))
            return count
        }
    }
}
