import HTTPTypes

/// What to answer for a GET/HEAD (or a state-changing request) on a representation, after the
/// preconditions (RFC 9110 §13) and the Range field (RFC 9110 §14).
public enum HTTPRepresentationDecision: Sendable, Equatable {
    /// 200 (or the method's normal success) with the whole representation.
    case full
    /// 206 with this byte range of the representation.
    case partial(ClosedRange<Int64>)
    /// 304 Not Modified (GET/HEAD whose validators still match).
    case notModified
    /// 412 Precondition Failed.
    case preconditionFailed
    /// 416 Range Not Satisfiable, sent with `Content-Range: bytes */length`.
    case rangeNotSatisfiable
}

/// Evaluates conditional requests and byte ranges for a representation.
public enum HTTPConditionalRequest {
    /// Applies RFC 9110 §13.2.2's order: If-Match, If-Unmodified-Since, If-None-Match,
    /// If-Modified-Since, then Range with If-Range.
    ///
    /// - Parameters:
    ///   - etag: the representation's current entity tag, if it has one.
    ///   - lastModified: its modification time in seconds since the epoch, if known.
    ///   - length: its length in bytes.
    public static func evaluate(
        method: HTTPRequest.Method, headerFields: HTTPFields, etag: HTTPEntityTag?, lastModified: Int64?, length: Int64
    ) -> HTTPRepresentationDecision {
        let isGetOrHead = method == .get || method == .head
        // Step 1, RFC 9110 §13.1.1: If-Match uses the strong comparison.
        if let ifMatch = headerFields[.ifMatch] {
            guard let etag, let condition = HTTPEntityTag.parseCondition(ifMatch) else { return .preconditionFailed }
            switch condition {
            case .any: break
            case .tags(let tags): if !tags.contains(where: { $0.matchesStrongly(etag) }) { return .preconditionFailed }
            }
        } else if let value = headerFields[.ifUnmodifiedSince], let date = HTTPDate.parse(value), let lastModified {
            // Step 2, RFC 9110 §13.1.4: false when modified after the date (invalid dates ignored).
            if lastModified > date { return .preconditionFailed }
        }
        // Step 3, RFC 9110 §13.1.2: If-None-Match uses the weak comparison.
        if let ifNoneMatch = headerFields[.ifNoneMatch] {
            if let condition = HTTPEntityTag.parseCondition(ifNoneMatch) {
                let matches: Bool = switch condition {
                case .any: etag != nil
                case .tags(let tags): etag.map { current in tags.contains { $0.matchesWeakly(current) } } ?? false
                }
                if matches { return isGetOrHead ? .notModified : .preconditionFailed }
            }
        } else if isGetOrHead, let value = headerFields[.ifModifiedSince], let date = HTTPDate.parse(value), let lastModified {
            // Step 4, RFC 9110 §13.1.3: only for GET and HEAD.
            if lastModified <= date { return .notModified }
        }
        // Step 5, RFC 9110 §14.2: Range is only defined for GET (ignored for other methods).
        guard method == .get, let range = headerFields[.range] else { return .full }
        if let ifRange = headerFields[.ifRange], !ifRangeHolds(ifRange, etag: etag, lastModified: lastModified) {
            return .full
        }
        switch HTTPByteRange.parse(range, length: length) {
        case .ignored: return .full
        case .satisfiable(let bytes): return .partial(bytes)
        case .unsatisfiable: return .rangeNotSatisfiable
        }
    }

    /// `evaluate(method:headerFields:etag:lastModified:length:)` for a server request.
    public static func evaluate(
        _ request: HTTPServerRequest, etag: HTTPEntityTag?, lastModified: Int64?, length: Int64
    ) -> HTTPRepresentationDecision {
        evaluate(method: request.method, headerFields: request.headerFields, etag: etag, lastModified: lastModified, length: length)
    }

    /// RFC 9110 §13.1.5: an entity tag must match strongly; a date must equal the
    /// last-modification time exactly.
    private static func ifRangeHolds(_ value: String, etag: HTTPEntityTag?, lastModified: Int64?) -> Bool {
        let trimmed = value.trimmingASCIIWhitespace()
        if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") {
            guard let etag, case .tags(let tags)? = HTTPEntityTag.parseCondition(trimmed), tags.count == 1 else { return false }
            return tags[0].matchesStrongly(etag)
        }
        guard let date = HTTPDate.parse(trimmed), let lastModified else { return false }
        return date == lastModified
    }
}

/// The Range field for bytes (RFC 9110 §14.1.2).
enum HTTPByteRange: Equatable {
    /// Not a byte range we serve (absent, malformed, other unit, or several ranges): the whole
    /// representation is sent with 200, which RFC 9110 §14.2 allows.
    case ignored
    case satisfiable(ClosedRange<Int64>)
    /// RFC 9110 §14.1.2: no range overlaps the representation (or a zero suffix).
    case unsatisfiable

    static func parse(_ value: String, length: Int64) -> HTTPByteRange {
        let trimmed = value.trimmingASCIIWhitespace()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .ignored }
        let spec = trimmed.dropFirst(6).trimmingASCIIWhitespace()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .ignored }
        let firstText = spec[..<dash].trimmingASCIIWhitespace()
        let lastText = spec[spec.index(after: dash)...].trimmingASCIIWhitespace()
        func number(_ text: String) -> Int64? {
            guard !text.isEmpty, text.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int64(text)
        }
        if firstText.isEmpty {
            // suffix-range: the last N bytes.
            guard let suffix = number(lastText) else { return .ignored }
            guard suffix > 0, length > 0 else { return .unsatisfiable }
            return .satisfiable(max(0, length - suffix)...(length - 1))
        }
        guard let first = number(firstText) else { return .ignored }
        var last = length - 1
        if !lastText.isEmpty {
            guard let given = number(lastText) else { return .ignored }
            guard given >= first else { return .ignored }
            last = min(given, length - 1)
        }
        guard first < length else { return .unsatisfiable }
        return .satisfiable(first...last)
    }
}
