/// The name of a property: an XML namespace (possibly empty) and a local name
/// (RFC 4918 §4.3, §4.5).
public struct DAVPropertyName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The namespace URI; `""` for a property in no namespace.
    public var namespace: String
    /// The local name.
    public var name: String

    /// A property name.
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// A property in the `DAV:` namespace.
    public static func dav(_ name: String) -> DAVPropertyName { DAVPropertyName(namespace: "DAV:", name: name) }

    /// `{namespace}name` (Clark notation).
    public var description: String { "{\(namespace)}\(name)" }

    /// Orders by namespace, then name.
    public static func < (lhs: DAVPropertyName, rhs: DAVPropertyName) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// The value of a dead property: the XML content of the property element, kept as a
/// well-formed fragment in which every element declares its namespace itself, so it can be
/// written back inside `<name xmlns="namespace">` unchanged (RFC 4918 §4.3: the value's
/// namespaces and structure are preserved). Only `DAVXMLWriter` makes these.
public struct DAVPropertyValue: Sendable, Hashable {
    /// The fragment's text.
    public let xml: String

    /// A value already produced by `DAVXMLWriter` (or read back from a storage that stored one).
    public init(fragment xml: String) {
        self.xml = xml
    }
}

/// One instruction of a PROPPATCH (RFC 4918 §14.23 set, §14.26 remove).
public enum DAVPropertyChange: Sendable, Equatable {
    /// Set `name` to `value`.
    case set(DAVPropertyName, DAVPropertyValue)
    /// Remove `name` (not an error when absent, RFC 4918 §14.23).
    case remove(DAVPropertyName)

    /// The property the change is about.
    public var name: DAVPropertyName {
        switch self {
        case .set(let name, _), .remove(let name): name
        }
    }
}

/// Bounds on the dead properties of one resource, enforced by every storage.
public enum DAVPropertyLimits {
    /// Most dead properties on one resource.
    public static let maximumCount = 1_000
    /// Most bytes of names and values together on one resource.
    public static let maximumBytes = 1 << 20

    /// `properties` with `changes` applied in order; throws `.insufficientStorage` when the
    /// result passes a limit (RFC 4918 §9.2.1: 507 for the whole PROPPATCH).
    public static func applying(
        _ changes: [DAVPropertyChange], to properties: [DAVPropertyName: DAVPropertyValue]
    ) throws(DAVError) -> [DAVPropertyName: DAVPropertyValue] {
        var result = properties
        for change in changes {
            switch change {
            case .set(let name, let value): result[name] = value
            case .remove(let name): result[name] = nil
            }
        }
        guard result.count <= maximumCount else { throw .insufficientStorage("too many properties") }
        var bytes = 0
        for (name, value) in result { bytes += name.namespace.utf8.count + name.name.utf8.count + value.xml.utf8.count }
        guard bytes <= maximumBytes else { throw .insufficientStorage("properties too large") }
        return result
    }
}
