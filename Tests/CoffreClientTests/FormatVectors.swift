import Foundation

/// The test vectors of docs/format.md: each fenced block opened by "```vector NAME" holds
/// `key = value` lines (hex for bytes, decimal for numbers). The document is the single source;
/// these tests recompute every value from the inputs it lists.
struct FormatVectors {
    let blocks: [String: [String: String]]

    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/format.md")

    static func load() throws -> FormatVectors {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        var blocks: [String: [String: String]] = [:]
        var current: (name: String, values: [String: String])?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let block = current {
                if line.hasPrefix("```") {
                    blocks[block.name] = block.values
                    current = nil
                } else if let equals = line.firstIndex(of: "=") {
                    let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                    current?.values[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                }
            } else if line.hasPrefix("```vector ") {
                current = (String(line.dropFirst("```vector ".count)), [:])
            }
        }
        return FormatVectors(blocks: blocks)
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    func text(_ block: String, _ key: String) throws -> String {
        guard let value = blocks[block]?[key] else { throw Missing(description: "docs/format.md lacks \(block).\(key)") }
        return value
    }

    func bytes(_ block: String, _ key: String) throws -> [UInt8] { Hex.decode(try text(block, key)) }

    func number<T: FixedWidthInteger>(_ block: String, _ key: String, as: T.Type = T.self) throws -> T {
        guard let value = T(try text(block, key)) else { throw Missing(description: "\(block).\(key) is not a number") }
        return value
    }

    func string(_ block: String, _ key: String) throws -> String {
        String(decoding: try bytes(block, key), as: UTF8.self)
    }
}

/// Hex encoding for vectors.
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
            default: return nil
            }
        }
        return stride(from: 0, to: nibbles.count - 1, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }
}
