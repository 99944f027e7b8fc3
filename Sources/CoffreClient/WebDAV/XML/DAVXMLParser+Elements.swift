/// Elements, attributes, namespaces and character data.
extension DAVXMLParser {
    /// Parses the element starting at `<` (XML 1.0 §3.1) and its content.
    mutating func parseElement(depth: Int) throws(DAVError) -> DAVXMLElement {
        guard depth <= limits.maximumDepth else { throw .badRequest("XML nested too deeply") }
        elementCount += 1
        guard elementCount <= limits.maximumElements else { throw .badRequest("too many XML elements") }
        position += 1
        let qualifiedName = try parseName()
        var rawAttributes: [(name: [UInt8], value: String)] = []
        var isEmpty = false
        while true {
            let hadSpace = position < bytes.count && isWhitespace(bytes[position])
            skipWhitespace()
            guard position < bytes.count else { throw .badRequest("unterminated start tag") }
            if bytes[position] == UInt8(ascii: "/") {
                guard position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: ">") else { throw .badRequest("malformed empty tag") }
                position += 2
                isEmpty = true
                break
            }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                break
            }
            guard hadSpace else { throw .badRequest("attributes must be separated by whitespace") }
            let name = try parseName()
            // XML 1.0 §3.1 WFC "Unique Att Spec".
            guard !rawAttributes.contains(where: { $0.name == name }) else { throw .badRequest("duplicate attribute") }
            guard rawAttributes.count < limits.maximumAttributes else { throw .badRequest("too many attributes") }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else { throw .badRequest("attribute without value") }
            position += 1
            skipWhitespace()
            rawAttributes.append((name, try parseAttributeValue()))
        }
        let bindingCount = bindings.count
        defer { bindings.removeSubrange(bindingCount...) }
        var attributes: [DAVXMLAttribute] = []
        for attribute in rawAttributes {
            if attribute.name == Array("xmlns".utf8) {
                bindings.append(([], attribute.value))
            } else if attribute.name.starts(with: Array("xmlns:".utf8)) {
                // Namespaces in XML 1.0 §3: a prefix cannot be undeclared (no empty URI).
                guard !attribute.value.isEmpty else { throw .badRequest("empty namespace for a prefix") }
                bindings.append((Array(attribute.name.dropFirst(6)), attribute.value))
            }
        }
        for attribute in rawAttributes where attribute.name != Array("xmlns".utf8) && !attribute.name.starts(with: Array("xmlns:".utf8)) {
            attributes.append(DAVXMLAttribute(name: try resolve(attribute.name, isAttribute: true), value: attribute.value))
        }
        var element = DAVXMLElement(name: try resolve(qualifiedName, isAttribute: false), attributes: attributes)
        if !isEmpty { try parseContent(of: &element, qualifiedName: qualifiedName, depth: depth) }
        return element
    }

    /// Content up to the matching end tag (XML 1.0 §3.1 WFC "Element Type Match").
    mutating func parseContent(of element: inout DAVXMLElement, qualifiedName: [UInt8], depth: Int) throws(DAVError) {
        var text: [UInt8] = []
        func flush(_ text: inout [UInt8], into element: inout DAVXMLElement) {
            guard !text.isEmpty else { return }
            element.children.append(.text(String(decoding: text, as: UTF8.self)))
            text.removeAll(keepingCapacity: true)
        }
        while true {
            guard position < bytes.count else { throw .badRequest("unterminated element") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "&") {
                try appendReference(to: &text)
            } else if byte != UInt8(ascii: "<") {
                text.append(byte)
                position += 1
            } else if hasPrefix("</") {
                position += 2
                let name = try parseName()
                guard name == qualifiedName else { throw .badRequest("mismatched end tag") }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw .badRequest("malformed end tag") }
                position += 1
                flush(&text, into: &element)
                return
            } else if hasPrefix("<!--") {
                try skipComment()
            } else if hasPrefix("<![CDATA[") {
                guard let end = find(Array("]]>".utf8), from: position + 9) else { throw .badRequest("unterminated CDATA section") }
                text.append(contentsOf: bytes[(position + 9)..<end])
                position = end + 3
            } else if hasPrefix("<?") {
                try skipProcessingInstruction()
            } else if hasPrefix("<!") {
                throw .badRequest("markup declaration inside an element")
            } else {
                flush(&text, into: &element)
                element.children.append(.element(try parseElement(depth: depth + 1)))
            }
        }
    }

    /// A quoted attribute value with references replaced and whitespace normalized
    /// (XML 1.0 §3.3.3); `<` is not allowed in it (WFC "No < in Attribute Values").
    mutating func parseAttributeValue() throws(DAVError) -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw .badRequest("attribute value not quoted")
        }
        let quote = bytes[position]
        position += 1
        var value: [UInt8] = []
        while true {
            guard position < bytes.count else { throw .badRequest("unterminated attribute value") }
            let byte = bytes[position]
            if byte == quote {
                position += 1
                return String(decoding: value, as: UTF8.self)
            }
            guard byte != UInt8(ascii: "<") else { throw .badRequest("< in attribute value") }
            if byte == UInt8(ascii: "&") {
                try appendReference(to: &value)
            } else {
                value.append(isWhitespace(byte) ? 0x20 : byte)
                position += 1
            }
        }
    }

    /// XML 1.0 §4.1, §4.6: a character reference or one of the five predefined entities; any
    /// other entity reference is undefined (there is no DTD) and refused.
    mutating func appendReference(to text: inout [UInt8]) throws(DAVError) {
        guard let end = find([UInt8(ascii: ";")], from: position + 1), end - position <= 12 else {
            throw .badRequest("malformed reference")
        }
        let name = Array(bytes[(position + 1)..<end])
        position = end + 1
        switch String(decoding: name, as: UTF8.self) {
        case "lt": text.append(UInt8(ascii: "<"))
        case "gt": text.append(UInt8(ascii: ">"))
        case "amp": text.append(UInt8(ascii: "&"))
        case "apos": text.append(UInt8(ascii: "'"))
        case "quot": text.append(UInt8(ascii: "\""))
        case let reference where reference.hasPrefix("#"):
            let digits = reference.dropFirst()
            let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard !digits.isEmpty, !digits.hasPrefix("+"), !digits.hasPrefix("-"), let value, Self.isCharacter(value),
                let scalar = Unicode.Scalar(value)
            else { throw .badRequest("invalid character reference") }
            text.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
            throw .badRequest("undefined entity reference")
        }
    }

    /// XML 1.0 §2.2 Char.
    static func isCharacter(_ value: UInt32) -> Bool {
        value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value) || (0xE000...0xFFFD).contains(value)
            || (0x10000...0x10FFFF).contains(value)
    }

    /// A qualified name (Namespaces in XML 1.0 §4): NCName, or prefix ":" NCName.
    mutating func parseName() throws(DAVError) -> [UInt8] {
        let start = position
        var colons = 0
        while position < bytes.count {
            let byte = bytes[position]
            let isStart = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte >= 0x80
            let isOther = (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E
            if byte == UInt8(ascii: ":") {
                guard position > start, colons == 0 else { throw .badRequest("malformed qualified name") }
                colons += 1
            } else if !(isStart || (isOther && position > start && bytes[position - 1] != UInt8(ascii: ":"))) {
                break
            }
            position += 1
            guard position - start <= limits.maximumNameBytes else { throw .badRequest("XML name too long") }
        }
        guard position > start, bytes[position - 1] != UInt8(ascii: ":") else { throw .badRequest("malformed XML name") }
        return Array(bytes[start..<position])
    }

    /// The expanded name of a qualified name under the current bindings. Unprefixed attributes
    /// have no namespace (Namespaces in XML 1.0 §6.2); an unbound prefix is an error.
    func resolve(_ qualifiedName: [UInt8], isAttribute: Bool) throws(DAVError) -> DAVXMLName {
        guard let colon = qualifiedName.firstIndex(of: UInt8(ascii: ":")) else {
            let local = String(decoding: qualifiedName, as: UTF8.self)
            if isAttribute { return DAVXMLName(namespace: "", name: local) }
            let uri = bindings.last(where: { $0.prefix.isEmpty })?.uri ?? ""
            return DAVXMLName(namespace: uri, name: local)
        }
        let prefix = Array(qualifiedName[..<colon])
        let local = String(decoding: qualifiedName[(colon + 1)...], as: UTF8.self)
        if prefix == Array("xml".utf8) { return DAVXMLName(namespace: Self.xmlNamespace, name: local) }
        guard let binding = bindings.last(where: { $0.prefix == prefix }) else { throw .badRequest("unbound namespace prefix") }
        return DAVXMLName(namespace: binding.uri, name: local)
    }
}
