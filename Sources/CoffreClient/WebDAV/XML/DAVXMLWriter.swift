/// Builds XML output as UTF-8 bytes: escaping of text and attribute values (XML 1.0 §2.4,
/// §3.1), and the serialization of dead property values.
public struct DAVXMLWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer; `capacity` reserves room.
    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// The bytes written so far, leaving the writer empty (capacity kept).
    public mutating func take() -> [UInt8] {
        let taken = bytes
        bytes.removeAll(keepingCapacity: true)
        return taken
    }

    /// Appends markup as is.
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends markup as is (the caller made it; never user content).
    public mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends character data with `&`, `<`, `>` escaped and CR kept as a reference (so it
    /// survives end-of-line normalization, XML 1.0 §2.11).
    public mutating func text(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            // Most text needs no escaping: copy it in one piece.
            guard utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x0D }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "&"): raw("&amp;")
                case UInt8(ascii: "<"): raw("&lt;")
                case UInt8(ascii: ">"): raw("&gt;")
                case 0x0D: raw("&#13;")
                default: bytes.append(byte)
                }
            }
        }
    }

    /// Appends the percent-encoded href of `path` (its bytes need no XML escaping).
    public mutating func href(_ path: DAVPath, isCollection: Bool) {
        bytes.append(UInt8(ascii: "/"))
        for (index, name) in path.names.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: "/")) }
            DAVPercentEncoding.encode(name, into: &bytes)
        }
        if isCollection && !path.isRoot { bytes.append(UInt8(ascii: "/")) }
    }

    /// Appends an attribute value (for a double-quoted attribute) with `&`, `<`, `"` and
    /// whitespace other than space escaped, so normalization (XML 1.0 §3.3.3) keeps it.
    public mutating func attributeValue(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): raw("&amp;")
            case UInt8(ascii: "<"): raw("&lt;")
            case UInt8(ascii: "\""): raw("&quot;")
            case 0x09: raw("&#9;")
            case 0x0A: raw("&#10;")
            case 0x0D: raw("&#13;")
            default: bytes.append(byte)
            }
        }
    }

    /// Appends `<local xmlns="namespace">` (the `xmlns` only when it differs from
    /// `inheritedNamespace`), `value` and the end tag: a dead property as it is returned.
    public mutating func property(_ name: DAVPropertyName, value: DAVPropertyValue?, inheritedNamespace: String?) {
        raw("<")
        raw(name.name)
        if name.namespace != inheritedNamespace {
            raw(" xmlns=\"")
            attributeValue(name.namespace)
            raw("\"")
        }
        guard let value, !value.xml.isEmpty else {
            raw("/>")
            return
        }
        raw(">")
        raw(value.xml)
        raw("</")
        raw(name.name)
        raw(">")
    }

    /// The content of a property element as a self-contained fragment (`DAVPropertyValue`):
    /// each element declares its default namespace where it differs from its parent's, starting
    /// from the property's own namespace; namespaced attributes get their own prefixes.
    public static func propertyValue(of element: DAVXMLElement) -> DAVPropertyValue {
        var writer = DAVXMLWriter()
        for child in element.children { writer.node(child, defaultNamespace: element.name.namespace) }
        return DAVPropertyValue(fragment: String(decoding: writer.bytes, as: UTF8.self))
    }

    /// Writes a parsed element (for echoing `owner` of a lock); `defaultNamespace` is the one
    /// in scope where it is written (nil: unknown, always declare).
    public mutating func element(_ element: DAVXMLElement, defaultNamespace: String?) {
        node(.element(element), defaultNamespace: defaultNamespace)
    }

    mutating func node(_ node: DAVXMLNode, defaultNamespace: String?) {
        switch node {
        case .text(let value):
            text(value)
        case .element(let element):
            raw("<")
            raw(element.name.name)
            if element.name.namespace != defaultNamespace {
                raw(" xmlns=\"")
                attributeValue(element.name.namespace)
                raw("\"")
            }
            var prefixes: [String: String] = [:]
            for attribute in element.attributes {
                raw(" ")
                if attribute.name.namespace == DAVXMLParser.xmlNamespace {
                    raw("xml:")
                } else if !attribute.name.namespace.isEmpty {
                    let prefix: String
                    if let known = prefixes[attribute.name.namespace] {
                        prefix = known
                    } else {
                        prefix = "a\(prefixes.count)"
                        prefixes[attribute.name.namespace] = prefix
                        raw("xmlns:\(prefix)=\"")
                        attributeValue(attribute.name.namespace)
                        raw("\" ")
                    }
                    raw(prefix + ":")
                }
                raw(attribute.name.name)
                raw("=\"")
                attributeValue(attribute.value)
                raw("\"")
            }
            guard !element.children.isEmpty else {
                raw("/>")
                return
            }
            raw(">")
            for child in element.children { self.node(child, defaultNamespace: element.name.namespace) }
            raw("</")
            raw(element.name.name)
            raw(">")
        }
    }
}
