import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes

extension HTTPServerRequest {
    /// Largest JSON body any API route reads.
    static let maximumJSONBodyBytes = 64 * 1024

    /// Reads the body (at most `maximumJSONBodyBytes`) and decodes it as `T`. Invalid JSON or
    /// a body that is not an object answers `malformed_json`; a missing field, a wrong type or a
    /// value its type refuses (bad base64, unknown scope) answers `invalid_field` naming the
    /// field's path in the schema. Neither repeats what the client sent.
    func decodeJSON<T: Decodable>(_ type: T.Type) async throws -> T {
        let bytes = try await body.collect(upTo: Self.maximumJSONBodyBytes)
        guard let first = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "{") else {
            throw APIError.malformedJSON("the body must be a JSON object")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw Self.apiError(for: error)
        } catch {
            throw APIError.malformedJSON()
        }
    }

    /// Like `decodeJSON`, but an empty body gives `empty` (for routes whose fields are all optional).
    func decodeOptionalJSON<T: Decodable>(_ type: T.Type, empty: T) async throws -> T {
        if body.expectedLength == 0 { return empty }
        return try await decodeJSON(type)
    }

    /// The `{id}` path parameter as a positive integer; anything else names no such thing.
    func pathID(_ name: String = "id", what: String) throws(APIError) -> Int64 {
        guard let text = pathParameters[name], text.utf8.count <= 19, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let id = Int64(text), id > 0
        else { throw APIError.notFound(what) }
        return id
    }

    /// The `{name}` path parameter (validated by the services).
    func pathName(_ name: String = "name") throws(APIError) -> String {
        guard let text = pathParameters[name] else { throw APIError.notFound("user") }
        return text
    }

    /// The query string, parsed.
    func queryParameters(allowed: Set<String>) throws(APIError) -> QueryParameters {
        try QueryParameters(query ?? "", allowed: allowed)
    }

    /// The single `Authorization` field, or nil when there is none or more than one.
    var authorization: String? {
        let values = headerFields[values: .authorization]
        return values.count == 1 ? values[0] : nil
    }

    /// The client's address bytes, for throttling only.
    var sourceAddress: [UInt8] { remoteAddress.bytes }

    static func apiError(for error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "body" : text.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalidField(path(context.codingPath + [key]), "is required")
        case .valueNotFound(_, let context):
            return .invalidField(path(context.codingPath), "must not be null")
        case .typeMismatch(_, let context):
            return .invalidField(path(context.codingPath), "has the wrong type")
        case .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return .malformedJSON("the body is not valid JSON") }
            return .invalidField(path(context.codingPath), "has an invalid value")
        @unknown default:
            return .malformedJSON()
        }
    }
}

extension HTTPServerResponse {
    /// A JSON answer. `Cache-Control: no-store` (RFC 9111 §5.2.2.5): answers may hold tokens,
    /// keys and personal data that no cache should keep.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> HTTPServerResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return json(encoded: Array(try encoder.encode(value)), status: status)
    }

    /// A JSON answer whose body `encoded` is already JSON text, with the fields of `json(_:status:)`.
    static func json(encoded: [UInt8], status: HTTPResponse.Status = .ok) -> HTTPServerResponse {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return HTTPServerResponse(status: status, headerFields: fields, body: .bytes(encoded))
    }

    /// 204 No Content.
    static var noContent: HTTPServerResponse { HTTPServerResponse(status: .noContent) }
}
