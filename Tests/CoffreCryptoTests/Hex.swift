/// Hex encoding for test vectors.
enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xf)]] })
    }

    static func decode(_ text: String) -> [UInt8] {
        let nibbles = text.unicodeScalars.compactMap { scalar -> UInt8? in
            switch scalar {
            case "0"..."9": return UInt8(scalar.value - 48)
            case "a"..."f": return UInt8(scalar.value - 87)
            case "A"..."F": return UInt8(scalar.value - 55)
            default: return nil
            }
        }
        precondition(nibbles.count % 2 == 0, "odd hex length")
        return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }
}
