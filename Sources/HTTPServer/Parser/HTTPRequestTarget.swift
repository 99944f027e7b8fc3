// Standard library only: this file is compiled into the parser fuzz target as well (Fuzz/).

/// Splits a request target into its path and query (RFC 9112 §3.2).
enum HTTPRequestTarget {
    /// Returns the still percent-encoded path (without query), the query, and for the absolute
    /// form the authority (host and port).
    ///
    /// Origin form (`/path?query`) and absolute form (`http://host/path?query`, RFC 9112 §3.2.2)
    /// are accepted; the asterisk form (`*`) only for OPTIONS (RFC 9112 §3.2.4). The authority
    /// form (CONNECT) is not served: this is not a proxy.
    static func split(_ target: String, method: String) throws(HTTPServerError) -> (path: String, query: String?, authority: String?) {
        var utf8 = target.utf8[...]
        if utf8.first == UInt8(ascii: "*") {
            guard utf8.count == 1, method == "OPTIONS" else { throw .badRequest(reason: "asterisk-form target") }
            return ("*", nil, nil)
        }
        var authority: String?
        if utf8.first != UInt8(ascii: "/") {
            guard let afterScheme = absoluteFormRemainder(utf8) else { throw .badRequest(reason: "unsupported target form") }
            // The authority ends at the first "/" or "?"; the path starts there.
            let pathStart = afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? afterScheme.endIndex
            let authorityBytes = afterScheme[afterScheme.startIndex..<pathStart]
            guard !authorityBytes.isEmpty, authorityBytes.allSatisfy(HTTPByteClass.isHostChar) else {
                throw .badRequest(reason: "invalid authority in target")
            }
            authority = String(decoding: authorityBytes, as: UTF8.self)
            utf8 = afterScheme[pathStart...]
        }
        let (hasFragment, queryOffset) = scan(utf8)
        // A fragment is not part of a request target (RFC 9112 §3.2.1 / RFC 3986 §3.5).
        if hasFragment { throw .badRequest(reason: "fragment in target") }
        guard let queryOffset else {
            return (utf8.isEmpty ? "/" : String(decoding: utf8, as: UTF8.self), nil, authority)
        }
        let queryMark = utf8.index(utf8.startIndex, offsetBy: queryOffset)
        var path = String(decoding: utf8[utf8.startIndex..<queryMark], as: UTF8.self)
        if path.isEmpty { path = "/" }
        let query = String(decoding: utf8[utf8.index(after: queryMark)...], as: UTF8.self)
        return (path, query, authority)
    }

    /// Whether the bytes hold a `#`, and the offset of the first `?`: one pass over the
    /// contiguous bytes (`withUTF8`), since `contains` and `firstIndex` through
    /// `Substring.UTF8View` cost a few per cent of a small GET.
    private static func scan(_ utf8: Substring.UTF8View) -> (hasFragment: Bool, queryOffset: Int?) {
        var text = Substring(utf8)
        return text.withUTF8 { bytes in
            var query: Int?
            for (offset, byte) in bytes.enumerated() {
                if byte == UInt8(ascii: "#") { return (true, query) }
                if byte == UInt8(ascii: "?") && query == nil { query = offset }
            }
            return (false, query)
        }
    }

    /// The part after `http://` or `https://` (scheme case-insensitive), or nil.
    private static func absoluteFormRemainder(_ utf8: Substring.UTF8View) -> Substring.UTF8View? {
        for scheme: StaticString in ["http://", "https://"] {
            let length = scheme.utf8CodeUnitCount
            guard utf8.count > length else { continue }
            var matches = true
            for (offset, byte) in utf8.prefix(length).enumerated()
            where HTTPByteClass.lowercased(byte) != scheme.utf8Start[offset] {
                matches = false
                break
            }
            if matches { return utf8.dropFirst(length) }
        }
        return nil
    }
}
