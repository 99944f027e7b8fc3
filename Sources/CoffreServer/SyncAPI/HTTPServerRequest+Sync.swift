import CoffreProtocol
import Foundation
import HTTPServer

/// Reading the parts of a sync request: ids in the path, bounded JSON bodies, the body length.
extension HTTPServerRequest {
    /// The `{vault}` path parameter.
    func vaultID() throws(APIError) -> VaultID {
        try identifier("vault")
    }

    /// The `{entry}` path parameter.
    func entryID() throws(APIError) -> EntryID {
        try identifier("entry")
    }

    /// The `{id}` path parameter as a blob id.
    func blobID() throws(APIError) -> BlobID {
        guard let text = pathParameters["id"], let id = BlobID(hex: text) else {
            throw APIError(
                statusCode: 400, code: .invalidRequest, message: "a blob id is 64 lowercase hexadecimal characters")
        }
        return id
    }

    /// The `{user}` path parameter: a positive user id.
    func memberID() throws(APIError) -> Int64 {
        guard let text = pathParameters["user"], text.utf8.count <= 19, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let id = Int64(text), id > 0
        else { throw APIError(statusCode: 400, code: .invalidRequest, message: "a user id is a positive whole number") }
        return id
    }

    private func identifier<Purpose>(_ name: String) throws(APIError) -> OpaqueIdentifier<Purpose> {
        guard let text = pathParameters[name], let id = OpaqueIdentifier<Purpose>(hex: text) else {
            throw APIError(
                statusCode: 400, code: .invalidRequest, message: "a \(Purpose.label) is 32 lowercase hexadecimal characters")
        }
        return id
    }

    /// The announced body length, which blob uploads need (RFC 9110 §8.6): 411 for a chunked
    /// body, 413 above `limit`, both before anything is read.
    func announcedLength(limit: Int64) throws(APIError) -> Int64 {
        guard let length = body.expectedLength else {
            // RFC 9110 §15.5.12: 411 Length Required.
            throw APIError(statusCode: 411, code: .lengthRequired, message: "a blob upload needs a Content-Length")
        }
        guard length <= limit else { throw APIError.bodyTooLarge(limit: Int(clamping: limit)) }
        return length
    }

    /// Reads a JSON body of at most `maxBytes` and decodes it as `T`, with the error answers of
    /// `decodeJSON`. Bodies larger than one event-loop slice (64 KiB) are decoded on the
    /// blocking-work queue, so a 10 MB commit does not hold up the loop's other connections.
    func decodeJSON<T: Decodable & Sendable>(_ type: T.Type, maxBytes: Int) async throws -> T {
        let bytes = try await body.collect(upTo: maxBytes)
        guard let first = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "{") else {
            throw APIError.malformedJSON("the body must be a JSON object")
        }
        let decode: @Sendable () throws -> T = {
            do {
                return try JSONDecoder().decode(T.self, from: Data(bytes))
            } catch let error as DecodingError {
                throw Self.apiError(for: error)
            } catch {
                throw APIError.malformedJSON()
            }
        }
        return bytes.count <= 64 * 1024 ? try decode() : try await HTTPBlockingWork.run(decode)
    }
}

extension TokenAuthenticator {
    /// A device allowed to read the user's data: one with the `read` or the `sync` scope.
    func reader(for request: HTTPServerRequest) async throws(APIError) -> DeviceSession {
        let session = try await device(for: request, requiring: nil)
        guard Self.mayRead(session) else {
            throw .forbidden("this route needs a token with the read or sync scope")
        }
        return session
    }
}
