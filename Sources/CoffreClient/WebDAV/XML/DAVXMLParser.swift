/// A strict parser for the XML that WebDAV request bodies use (XML 1.0 with Namespaces in XML
/// 1.0): elements, attributes, text, CDATA, comments and processing instructions, UTF-8 only.
///
/// It never expands anything but the five predefined entities and character references: a
/// document type declaration is refused outright, so no DTD, no external entity and no entity
/// expansion (billion laughs, XXE) can happen. Size, nesting depth, element and attribute
/// counts and name lengths are bounded by `Limits`; every violation throws
/// `DAVError.badRequest` with a fixed text.
public struct DAVXMLParser {
    /// Bounds applied while parsing.
    public struct Limits: Sendable {
        /// Largest document in bytes.
        public var maximumBytes = 1 << 20
        /// Deepest element nesting.
        public var maximumDepth = 32
        /// Most elements in the document.
        public var maximumElements = 20_000
        /// Most attributes (namespace declarations included) on one element.
        public var maximumAttributes = 32
        /// Longest qualified name in bytes.
        public var maximumNameBytes = 512

        /// The default limits.
        public init() {}
    }

    static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"

    let bytes: [UInt8]
    let limits: Limits
    var position = 0
    var elementCount = 0
    /// In-scope namespace bindings, innermost last; `""` is the default namespace's prefix.
    var bindings: [(prefix: [UInt8], uri: String)] = []

    /// Parses a whole document and returns its root element.
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(DAVError) -> DAVXMLElement {
        guard bytes.count <= limits.maximumBytes else { throw .badRequest("XML body too large") }
        try checkCharacters(bytes)
        var parser = DAVXMLParser(bytes: bytes, limits: limits)
        return try parser.parseDocument()
    }

    /// XML 1.0 §2.2: the document is UTF-8 (§4.3.3) and holds only Char (no C0 controls but
    /// tab, LF, CR).
    static func checkCharacters(_ bytes: [UInt8]) throws(DAVError) {
        for byte in bytes where byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D {
            throw .badRequest("control character in XML")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .badRequest("XML is not UTF-8") }
    }

    mutating func parseDocument() throws(DAVError) -> DAVXMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        if hasPrefix("<?xml") && position + 5 < bytes.count && isWhitespace(bytes[position + 5]) {
            try parseDeclaration()
        }
        var root: DAVXMLElement?
        while true {
            skipWhitespace()
            guard position < bytes.count else { break }
            guard bytes[position] == UInt8(ascii: "<") else { throw .badRequest("text outside the root element") }
            if hasPrefix("<!--") {
                try skipComment()
            } else if hasPrefix("<?") {
                try skipProcessingInstruction()
            } else if hasPrefix("<!DOCTYPE") {
                // XML 1.0 §2.8: refusing the DTD removes entity expansion and external entities.
                throw .badRequest("document type declarations are not accepted")
            } else if hasPrefix("<!") {
                throw .badRequest("unexpected markup declaration")
            } else {
                guard root == nil else { throw .badRequest("more than one root element") }
                root = try parseElement(depth: 1)
            }
        }
        guard let root else { throw .badRequest("no root element") }
        return root
    }

    /// XML 1.0 §2.8 XMLDecl: only UTF-8 is accepted as encoding.
    mutating func parseDeclaration() throws(DAVError) {
        guard let end = find([UInt8(ascii: "?"), UInt8(ascii: ">")], from: position) else { throw .badRequest("unterminated XML declaration") }
        let declaration = String(decoding: bytes[position..<end], as: UTF8.self).lowercased()
        if let range = declaration.range(of: "encoding") {
            let rest = declaration[range.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" || $0 == "\t" }
            guard rest.hasPrefix("utf-8") || rest.hasPrefix("utf8") else { throw .badRequest("XML encoding must be UTF-8") }
        }
        position = end + 2
    }

    mutating func skipComment() throws(DAVError) {
        guard let end = find(Array("-->".utf8), from: position + 4) else { throw .badRequest("unterminated comment") }
        position = end + 3
    }

    mutating func skipProcessingInstruction() throws(DAVError) {
        guard let end = find([UInt8(ascii: "?"), UInt8(ascii: ">")], from: position + 2) else {
            throw .badRequest("unterminated processing instruction")
        }
        position = end + 2
    }

    func hasPrefix(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return text.withUTF8Buffer { prefix in
            for index in 0..<count where bytes[position + index] != prefix[index] { return false }
            return true
        }
    }

    func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    mutating func skipWhitespace() {
        while position < bytes.count && isWhitespace(bytes[position]) { position += 1 }
    }
}

extension DAVXMLParser {
    /// Whether `text` is an NCName this parser accepts (a local name without prefix).
    public static func isName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, !bytes.contains(UInt8(ascii: ":")) else { return false }
        var parser = DAVXMLParser(bytes: bytes, limits: Limits())
        guard (try? parser.parseName()) != nil else { return false }
        return parser.position == bytes.count
    }
}
