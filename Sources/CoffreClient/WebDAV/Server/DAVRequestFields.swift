import HTTPServer
import HTTPTypes

/// The WebDAV request header fields (RFC 4918 §10), parsed strictly: a malformed value is a
/// 400, never a guess.
enum DAVRequestFields {
    static let depthName = HTTPField.Name("Depth")!
    static let destinationName = HTTPField.Name("Destination")!
    static let overwriteName = HTTPField.Name("Overwrite")!
    static let ifName = HTTPField.Name("If")!
    static let lockTokenName = HTTPField.Name("Lock-Token")!
    static let timeoutName = HTTPField.Name("Timeout")!
    static let hostName = HTTPField.Name("Host")!

    /// RFC 4918 §10.2 Depth.
    enum Depth: Equatable {
        case zero, one, infinity
    }

    /// The Depth field, `fallback` when absent; 400 for any other value than those allowed.
    static func depth(_ request: HTTPServerRequest, allowed: Set<Depth>, fallback: Depth) throws(DAVError) -> Depth {
        let values = request.headerFields[values: depthName]
        guard let value = values.first else { return fallback }
        guard values.count == 1 else { throw .badRequest("more than one Depth field") }
        let depth: Depth
        switch value.lowercased() {
        case "0": depth = .zero
        case "1": depth = .one
        case "infinity": depth = .infinity
        default: throw .badRequest("invalid Depth")
        }
        guard allowed.contains(depth) else { throw .badRequest("Depth not allowed for this method") }
        return depth
    }

    /// RFC 4918 §10.6 Overwrite: `T` (the default) or `F`.
    static func overwrite(_ request: HTTPServerRequest) throws(DAVError) -> Bool {
        switch request.headerFields[overwriteName] {
        case nil, "T", "t": true
        case "F", "f": false
        default: throw .badRequest("invalid Overwrite")
        }
    }

    /// RFC 4918 §10.3 Destination: an absolute URI on this server, or an absolute path.
    static func destination(_ request: HTTPServerRequest) throws(DAVError) -> DAVPath {
        let values = request.headerFields[values: destinationName]
        guard values.count == 1, let value = values.first else { throw .badRequest("Destination missing") }
        guard let path = try resolve(value, host: request.headerFields[hostName]) else { throw .otherServer }
        return path
    }

    /// The path of `uri` (an absolute path, or an http(s) URI whose authority is `host`); nil
    /// when it names another server. Query and fragment are dropped.
    static func resolve(_ uri: String, host: String?) throws(DAVError) -> DAVPath? {
        var rest = Substring(uri)
        if !rest.hasPrefix("/") {
            guard let schemeEnd = rest.range(of: "://") else { throw .badRequest("URI is neither absolute nor a path") }
            let scheme = rest[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else { return nil }
            rest = rest[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            var authority = rest[..<authorityEnd].lowercased()
            if let at = authority.lastIndex(of: "@") { authority = String(authority[authority.index(after: at)...]) }
            // RFC 9110 §4.2.3: a default port is the same as no port.
            let defaultPort = scheme == "http" ? ":80" : ":443"
            func normalized(_ text: String) -> String { text.hasSuffix(defaultPort) ? String(text.dropLast(defaultPort.count)) : text }
            guard let host, normalized(authority) == normalized(host.lowercased()) else { return nil }
            rest = rest[authorityEnd...]
            if rest.isEmpty || !rest.hasPrefix("/") { rest = "/" + rest }
        }
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        return try DAVPath(percentEncoded: String(rest))
    }

    /// RFC 4918 §10.7 Timeout: the first `Second-N` or `Infinite` of the list, in seconds
    /// (`Int.max` for Infinite); nil when absent or when no entry is understood.
    static func timeout(_ request: HTTPServerRequest) -> Int? {
        guard let value = request.headerFields[timeoutName] else { return nil }
        for entry in value.split(separator: ",") {
            let entry = entry.trimmingOWS()
            if entry.lowercased() == "infinite" { return Int.max }
            if entry.lowercased().hasPrefix("second-"), let seconds = Int(entry.dropFirst(7).prefix(10)), seconds >= 0 { return seconds }
        }
        return nil
    }

    /// RFC 4918 §10.5 Lock-Token: `<Coded-URL>`.
    static func lockToken(_ request: HTTPServerRequest) throws(DAVError) -> String {
        guard let value = request.headerFields[lockTokenName]?.trimmingOWS(), value.hasPrefix("<"), value.hasSuffix(">"),
            value.utf8.count > 2
        else { throw .badRequest("Lock-Token missing or malformed") }
        return String(value.dropFirst().dropLast())
    }

    /// The If field, parsed; nil when absent.
    static func ifHeader(_ request: HTTPServerRequest) throws(DAVError) -> DAVIfHeader? {
        let values = request.headerFields[values: ifName]
        guard !values.isEmpty else { return nil }
        return try DAVIfHeader.parse(values.joined(separator: " "))
    }

    /// The write condition from If-Match / If-None-Match (RFC 9110 §13.1.1, §13.1.2), handed to
    /// the storage so it is checked atomically with the write. Weak tags never match strongly.
    static func writeCondition(_ request: HTTPServerRequest) throws(DAVError) -> DAVWriteCondition {
        if let ifMatch = request.headerFields[.ifMatch] {
            if ifMatch.trimmingOWS() == "*" { return .exists }
            return .etagMatches(try entityTags(ifMatch).filter { !$0.weak }.map(\.tag))
        }
        if let ifNoneMatch = request.headerFields[.ifNoneMatch] {
            if ifNoneMatch.trimmingOWS() == "*" { return .absent }
            return .etagDiffers(try entityTags(ifNoneMatch).map(\.tag))
        }
        return .always
    }

    /// `#entity-tag` (RFC 9110 §8.8.3): a comma-separated list of quoted tags.
    static func entityTags(_ value: String) throws(DAVError) -> [(tag: String, weak: Bool)] {
        var result: [(String, Bool)] = []
        for item in value.split(separator: ",") {
            var item = Substring(item.trimmingOWS())
            if item.isEmpty { continue }
            let weak = item.hasPrefix("W/")
            if weak { item = item.dropFirst(2) }
            guard item.count >= 2, item.hasPrefix("\""), item.hasSuffix("\""), let tag = HTTPEntityTag(String(item.dropFirst().dropLast()))
            else { throw .badRequest("malformed entity tag") }
            result.append((tag.opaqueTag, weak))
        }
        guard !result.isEmpty else { throw .badRequest("malformed entity tag") }
        return result
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
    func trimmingOWS() -> String {
        guard let start = firstIndex(where: { $0 != " " && $0 != "\t" }), let end = lastIndex(where: { $0 != " " && $0 != "\t" }) else {
            return ""
        }
        return String(self[start...end])
    }
}
