import Glibc
import HTTPServer
import HTTPTypes

/// The benchmark's routes. nginx serves the same paths from files in `http-bench.sh`.
///
/// - `GET /4k`: 4 KiB from memory, handler run as a task on the connection's loop (the path
///   every real route of the app takes);
/// - `GET /4k-inline`: the same bytes from an inline handler (no task);
/// - `PUT /upload/{name}`: the body streamed to a file in the upload directory (`UploadFile`);
/// - `GET /files/{name}`: a file of that directory through `HTTPFileResponse` (sendfile(2) on
///   plain connections, pread + TLS write otherwise);
/// - `GET /healthz`: `ok`, inline.
enum BenchRoutes {
    /// Size of the small body, the same as nginx's file.
    static let smallBodyBytes = 4096

    /// The router serving `directory`; uploads larger than `maxUploadBytes` get 413.
    static func router(directory: String, maxUploadBytes: Int64) throws(HTTPServerError) -> HTTPRouter {
        // nginx's 4 KiB file holds the same bytes: 4096 × "x".
        let small = [UInt8](repeating: UInt8(ascii: "x"), count: smallBodyBytes)
        var router = HTTPRouter()
        try router.add(.get, "/4k") { _ in smallResponse(small) }
        try router.addInline(.get, "/4k-inline") { _ in smallResponse(small) }
        try router.addInline(.get, "/healthz") { _ in .text("ok\n") }
        try router.add(.put, "/upload/{name}", maxBodyBytes: maxUploadBytes) { request in
            let name = try BenchFileName(request.pathParameters["name"])
            let upload = try UploadFile(directory: directory)
            for try await chunk in request.body {
                try upload.write(chunk)
            }
            try upload.commit(as: "\(directory)/\(name.value)")
            return HTTPServerResponse(status: .created)
        }
        try router.add(.get, "/files/{name}") { request in
            let name = try BenchFileName(request.pathParameters["name"])
            do {
                return try HTTPFileResponse.make(
                    for: request, path: "\(directory)/\(name.value)", contentType: "application/octet-stream")
            } catch HTTPServerError.system(_, let code, _) where code == ENOENT {
                throw HTTPBenchError.fileNotFound
            }
        }
        return router
    }

    /// 200 with the small body, typed like nginx's answer (`default_type application/octet-stream`).
    private static func smallResponse(_ body: [UInt8]) -> HTTPServerResponse {
        var fields = HTTPFields()
        fields[.contentType] = "application/octet-stream"
        return HTTPServerResponse(status: .ok, headerFields: fields, body: .bytes(body))
    }
}
