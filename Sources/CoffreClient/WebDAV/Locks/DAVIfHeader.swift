/// The WebDAV `If` request header (RFC 4918 §10.4): lists of conditions on state tokens and
/// entity tags, untagged (about the request URI) or tagged with the resource they are about.
public struct DAVIfHeader: Sendable, Equatable {
    /// Most conditions in one header, over all lists.
    public static let maximumConditions = 256

    /// One condition (RFC 4918 §10.4.2 Condition).
    public struct Condition: Sendable, Equatable {
        /// What the condition tests.
        public enum Kind: Sendable, Equatable {
            /// A state token (a lock token, or `DAV:no-lock`): true when it names a lock that
            /// covers the resource.
            case token(String)
            /// An entity tag (opaque part, weak flag): true when it is the resource's tag.
            case etag(String, weak: Bool)
        }

        /// True for `Not`.
        public var negated: Bool
        /// What is tested.
        public var kind: Kind

        /// A condition.
        public init(negated: Bool, kind: Kind) {
            self.negated = negated
            self.kind = kind
        }
    }

    /// One parenthesized list: true when all its conditions are true (RFC 4918 §10.4.1).
    public struct List: Sendable, Equatable {
        /// The resource tag (a URI as sent) of a tagged list; nil for a no-tag list.
        public var resourceTag: String?
        /// The conditions, all of which must hold.
        public var conditions: [Condition]
    }

    /// The lists; the header is true when any of them is true.
    public var lists: [List]

    /// The lock tokens the client submitted: every state token not under `Not` (RFC 4918
    /// §10.4.1, §7.4).
    public var submittedTokens: Set<String> {
        var tokens = Set<String>()
        for list in lists {
            for condition in list.conditions where !condition.negated {
                if case .token(let token) = condition.kind { tokens.insert(token) }
            }
        }
        return tokens
    }

    /// Parses the header's value (RFC 4918 §10.4.2 grammar); throws `.badRequest` when
    /// malformed, when tagged and untagged lists are mixed, or past `maximumConditions`.
    public static func parse(_ value: String) throws(DAVError) -> DAVIfHeader {
        var scanner = Scanner(bytes: Array(value.utf8))
        var lists: [List] = []
        var tagged: Bool?
        var currentTag: String?
        var conditionCount = 0
        while true {
            scanner.skipWhitespace()
            guard let byte = scanner.peek() else { break }
            if byte == UInt8(ascii: "<") {
                guard tagged != false else { throw .badRequest("If header mixes tagged and untagged lists") }
                tagged = true
                currentTag = try scanner.angleBracketed()
                scanner.skipWhitespace()
                guard scanner.peek() == UInt8(ascii: "(") else { throw .badRequest("resource tag without a list") }
                continue
            }
            guard byte == UInt8(ascii: "(") else { throw .badRequest("malformed If header") }
            if tagged == nil { tagged = false }
            scanner.position += 1
            var conditions: [Condition] = []
            while true {
                scanner.skipWhitespace()
                guard let next = scanner.peek() else { throw .badRequest("unterminated If list") }
                if next == UInt8(ascii: ")") {
                    scanner.position += 1
                    break
                }
                var negated = false
                if scanner.consumeWord("not") {
                    negated = true
                    scanner.skipWhitespace()
                }
                conditionCount += 1
                guard conditionCount <= maximumConditions else { throw .badRequest("too many If conditions") }
                switch scanner.peek() {
                case UInt8(ascii: "<"):
                    conditions.append(Condition(negated: negated, kind: .token(try scanner.angleBracketed())))
                case UInt8(ascii: "["):
                    conditions.append(Condition(negated: negated, kind: try scanner.entityTag()))
                default:
                    throw .badRequest("malformed If condition")
                }
            }
            guard !conditions.isEmpty else { throw .badRequest("empty If list") }
            lists.append(List(resourceTag: tagged == true ? currentTag : nil, conditions: conditions))
        }
        guard !lists.isEmpty else { throw .badRequest("empty If header") }
        return DAVIfHeader(lists: lists)
    }

    /// The state of one resource as the evaluation needs it.
    public struct ResourceState: Sendable {
        /// Its entity tag, nil when absent or without one.
        public var etag: String?
        /// Tokens of the locks covering it.
        public var lockTokens: Set<String>

        /// A state.
        public init(etag: String?, lockTokens: Set<String>) {
            self.etag = etag
            self.lockTokens = lockTokens
        }
    }

    /// RFC 4918 §10.4.3–§10.4.4: true when any list holds. A no-tag list is about
    /// `requestPath`; a tagged list about the resource `resolve` maps its tag to (a tag that
    /// names no resource here makes the list false).
    public func evaluate(
        requestPath: DAVPath, resolve: (String) -> DAVPath?, state: (DAVPath) async throws -> ResourceState
    ) async throws -> Bool {
        var cache: [DAVPath: ResourceState] = [:]
        for list in lists {
            let path: DAVPath
            if let tag = list.resourceTag {
                guard let resolved = resolve(tag) else { continue }
                path = resolved
            } else {
                path = requestPath
            }
            let current: ResourceState
            if let cached = cache[path] {
                current = cached
            } else {
                current = try await state(path)
                cache[path] = current
            }
            let holds = list.conditions.allSatisfy { condition in
                let matches: Bool = switch condition.kind {
                case .token(let token): current.lockTokens.contains(token)
                case .etag(let tag, _): current.etag == tag
                }
                return matches != condition.negated
            }
            if holds { return true }
        }
        return false
    }
}

extension DAVIfHeader {
    /// A byte scanner over the header value.
    struct Scanner {
        let bytes: [UInt8]
        var position = 0

        func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 { position += 1 }
        }

        /// Consumes `word` (lowercase ASCII) case-insensitively when it is followed by a space.
        mutating func consumeWord(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard position + count < bytes.count else { return false }
            let matches = word.withUTF8Buffer { expected in
                (0..<count).allSatisfy { bytes[position + $0] | 0x20 == expected[$0] }
            }
            guard matches, bytes[position + count] == 0x20 || bytes[position + count] == 0x09 else { return false }
            position += count
            return true
        }

        /// `<...>` (Coded-URL or Resource-Tag): the text between the brackets, non-empty.
        mutating func angleBracketed() throws(DAVError) -> String {
            position += 1
            let start = position
            while let byte = peek(), byte != UInt8(ascii: ">") {
                guard byte > 0x20, byte != UInt8(ascii: "<") else { throw .badRequest("malformed URI in If header") }
                position += 1
            }
            guard peek() == UInt8(ascii: ">"), position > start else { throw .badRequest("malformed URI in If header") }
            defer { position += 1 }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// `[entity-tag]` (RFC 9110 §8.8.3).
        mutating func entityTag() throws(DAVError) -> Condition.Kind {
            position += 1
            var weak = false
            if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "W"), bytes[position + 1] == UInt8(ascii: "/") {
                weak = true
                position += 2
            }
            guard peek() == UInt8(ascii: "\"") else { throw .badRequest("malformed entity tag in If header") }
            position += 1
            let start = position
            while let byte = peek(), byte != UInt8(ascii: "\"") {
                // etagc = %x21 / %x23-7E / obs-text
                guard byte == 0x21 || (byte >= 0x23 && byte != 0x7F) else { throw .badRequest("malformed entity tag in If header") }
                position += 1
            }
            guard peek() == UInt8(ascii: "\"") else { throw .badRequest("malformed entity tag in If header") }
            let tag = String(decoding: bytes[start..<position], as: UTF8.self)
            position += 1
            guard peek() == UInt8(ascii: "]") else { throw .badRequest("malformed entity tag in If header") }
            position += 1
            return .etag(tag, weak: weak)
        }
    }
}
