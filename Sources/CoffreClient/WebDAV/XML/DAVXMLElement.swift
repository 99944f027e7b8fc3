/// A namespace-qualified XML name (Namespaces in XML 1.0 §4, "expanded name").
public typealias DAVXMLName = DAVPropertyName

/// An element of a parsed WebDAV request body: its expanded name, attributes and content.
public struct DAVXMLElement: Sendable, Equatable {
    /// The element's expanded name.
    public var name: DAVXMLName
    /// The attributes other than namespace declarations, in document order.
    public var attributes: [DAVXMLAttribute]
    /// Child elements and text, in document order (comments and processing instructions are
    /// dropped).
    public var children: [DAVXMLNode]

    /// An element.
    public init(name: DAVXMLName, attributes: [DAVXMLAttribute] = [], children: [DAVXMLNode] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    /// True for an element named `name` in the `DAV:` namespace.
    public func isDAV(_ name: String) -> Bool { self.name.namespace == "DAV:" && self.name.name == name }

    /// The child elements, without text.
    public var elements: [DAVXMLElement] {
        children.compactMap { if case .element(let element) = $0 { element } else { nil } }
    }

    /// The first child element named `name` in the `DAV:` namespace.
    public func davChild(_ name: String) -> DAVXMLElement? {
        for case .element(let element) in children where element.isDAV(name) { return element }
        return nil
    }

    /// The text content of this element and its descendants, concatenated.
    public var text: String {
        var result = ""
        for child in children {
            switch child {
            case .text(let text): result += text
            case .element(let element): result += element.text
            }
        }
        return result
    }
}

/// One attribute: its expanded name (no namespace when unprefixed) and its normalized value.
public struct DAVXMLAttribute: Sendable, Equatable {
    /// The attribute's expanded name.
    public var name: DAVXMLName
    /// The value after reference replacement and whitespace normalization (XML 1.0 §3.3.3).
    public var value: String

    /// An attribute.
    public init(name: DAVXMLName, value: String) {
        self.name = name
        self.value = value
    }
}

/// Content of an element.
public enum DAVXMLNode: Sendable, Equatable {
    /// A child element.
    indirect case element(DAVXMLElement)
    /// Character data (references replaced, CDATA sections included as text).
    case text(String)
}
