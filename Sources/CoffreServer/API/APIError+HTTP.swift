import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes

/// The one place an `APIError` becomes an HTTP answer: its status, a JSON `ErrorBody`, and the
/// header fields some statuses require.
extension APIError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public var headerFields: HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        if let retryAfterSeconds {
            // RFC 9110 §10.2.3: Retry-After as delay-seconds.
            fields[.retryAfter] = String(retryAfterSeconds)
        }
        if statusCode == 401 {
            // RFC 9110 §11.6.1: a 401 answer carries WWW-Authenticate; RFC 6750 §3 defines the
            // Bearer challenge.
            fields[.wwwAuthenticate] = #"Bearer realm="coffre""#
        }
        return fields
    }

    public var body: [UInt8] {
        (try? JSONEncoder().encode(errorBody)).map { Array($0) }
            ?? Array(#"{"error":"internal_error","message":"the server failed; see its log"}"#.utf8)
    }
}
