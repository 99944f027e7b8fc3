import Glibc
import HTTPServer
import HTTPTypes

/// The one error type of `http-bench-server`. Texts name the failing call and the system's
/// error text, never a request's content (file names come from the client).
enum HTTPBenchError: Error, CustomStringConvertible, HTTPResponseError {
    /// A path parameter that is not an acceptable file name: 400.
    case invalidFileName
    /// The requested file does not exist: 404.
    case fileNotFound
    /// A system call failed: 500.
    case system(call: String, code: Int32)

    /// The error for a failed call, with the current `errno`.
    static func lastSystemError(_ call: String) -> HTTPBenchError {
        .system(call: call, code: errno)
    }

    var status: HTTPResponse.Status {
        switch self {
        case .invalidFileName: .badRequest
        case .fileNotFound: .notFound
        case .system: .internalServerError
        }
    }

    var description: String {
        switch self {
        case .invalidFileName: "invalid file name"
        case .fileNotFound: "no such file"
        case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
