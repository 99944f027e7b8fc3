import CoffreProtocol
import HTTPServer
import Logging

/// Wraps a sync route's handler so that what it throws leaves as an `APIError`, with the codes
/// of docs/protocol.md ("Sync"): `SyncError`, `BlobStoreError`, `BinaryWireError` and `BlobBatchFramingError` are
/// mapped here, everything else by `APIEndpoint`. Failures of the server itself (database,
/// I/O) are logged with the route pattern and answered 500 without their text.
enum SyncEndpoint {
    static func handler(
        logger: Logger, route: String, _ body: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
    ) -> @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse {
        APIEndpoint.handler(logger: logger, route: route) { request in
            do {
                return try await body(request)
            } catch let error as SyncError {
                throw mapped(error, logger: logger, route: route)
            } catch let error as BlobStoreError {
                throw mapped(error, logger: logger, route: route)
            } catch let error as BinaryWireError {
                switch error {
                case .limitExceeded(let rule):
                    // The same answer the store gives a JSON commit over the same limit.
                    throw APIError(statusCode: 400, code: .invalidRequest, message: rule)
                case .unsupportedVersion, .truncated, .trailingBytes, .invalidValue:
                    throw APIError(statusCode: 400, code: .malformedBinary, message: error.description)
                }
            } catch let error as BlobBatchFramingError {
                switch error {
                case .blobTooLarge(let limit):
                    throw APIError(statusCode: 413, code: .bodyTooLarge, message: "a blob has at most \(limit) bytes")
                case .truncated, .tooManyBlobs:
                    throw APIError(statusCode: 400, code: .malformedBatch, message: error.description)
                }
            }
        }
    }

    /// The answer for a sync-engine error (docs/sync-engine.md, "Errors").
    static func mapped(_ error: SyncError, logger: Logger, route: String) -> APIError {
        switch error {
        case .vaultNotFound: return .notFound("vault")
        case .memberNotFound: return .notFound("user or member")
        case .entryNotFound: return .notFound("entry")
        case .forbidden(let role):
            return .forbidden("this needs the \(role.rawValue) role in the vault")
        case .invalidRequest(let reason):
            return APIError(statusCode: 400, code: .invalidRequest, message: reason)
        case .stateConflict(let reason):
            return APIError(statusCode: 409, code: .stateConflict, message: reason)
        case .commitIDReused:
            return APIError(statusCode: 409, code: .commitIDReused, message: error.description)
        case .cursorAhead:
            return APIError(statusCode: 409, code: .cursorAhead, message: error.description)
        case .cursorGone:
            // RFC 9110 §15.5.11: 410, the cursor's history is gone for good.
            return APIError(statusCode: 410, code: .cursorGone, message: error.description + "; resync from 0")
        case .tooManyWaiters:
            // RFC 9110 §15.6.4 with Retry-After (§10.2.3).
            return APIError(statusCode: 503, code: .tooManyWaiters, message: error.description, retryAfterSeconds: 5)
        case .cancelled:
            return APIError(statusCode: 503, code: .internalError, message: "the request was cancelled")
        case .database, .internalFailure:
            logger.error("sync request failed", metadata: ["route": "\(route)", "error": "\(error)"])
            return .internalError
        }
    }

    /// The answer for a blob-store error (docs/storage-blobs.md, "Error model").
    static func mapped(_ error: BlobStoreError, logger: Logger, route: String) -> APIError {
        switch error {
        case .notFound: return .notFound("blob")
        case .hashMismatch:
            return APIError(statusCode: 400, code: .blobHashMismatch, message: error.description)
        case .sizeMismatch:
            return APIError(statusCode: 400, code: .blobSizeMismatch, message: "the body does not hold the bytes announced")
        case .tooLarge(let limit):
            return APIError(statusCode: 413, code: .bodyTooLarge, message: "a blob has at most \(limit) bytes")
        case .diskFull:
            // RFC 4918 §11.5: 507 Insufficient Storage.
            return APIError(statusCode: 507, code: .insufficientStorage, message: "the server is short of disk space")
        case .invalidID, .invalidNamespace:
            return APIError(statusCode: 400, code: .invalidRequest, message: error.description)
        case .uploadClosed, .storeInUse, .io:
            logger.error("blob request failed", metadata: ["route": "\(route)", "error": "\(error)"])
            return .internalError
        }
    }
}
