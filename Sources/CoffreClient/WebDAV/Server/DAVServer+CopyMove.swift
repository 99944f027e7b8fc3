import HTTPServer
import HTTPTypes

/// COPY and MOVE (RFC 4918 §9.8, §9.9).
extension DAVServer {
    /// Destination on this server (502 otherwise, §9.8.5), Overwrite (412 when F and the
    /// destination exists, §10.6), Depth 0 or infinity for COPY and infinity for a collection
    /// MOVE (§9.8.3, §9.9.2); 201 when the destination was created, 204 when replaced.
    func copyOrMove(_ request: HTTPServerRequest, _ path: DAVPath, isMove: Bool) async throws -> HTTPServerResponse {
        let destination = try DAVRequestFields.destination(request)
        let overwrite = try DAVRequestFields.overwrite(request)
        let info = try await existing(path)
        let depth = try DAVRequestFields.depth(
            request, allowed: isMove && info.isCollection ? [.infinity] : [.zero, .infinity], fallback: .infinity)
        // §9.8.5: 403 when source and destination are the same resource; a collection cannot
        // go inside itself either.
        guard !path.isRoot, !destination.isRoot else { throw DAVError.forbidden("the root cannot be copied or moved onto") }
        guard !path.contains(destination), !destination.contains(path) else { throw DAVError.forbidden("source and destination overlap") }
        var changing: [(DAVPath, Bool)] = [(destination, true), (destination.parent!, false)]
        if isMove { changing += [(path, true), (path.parent!, false)] }
        try await checkPreconditions(request, path, changing: changing)
        let replaced: Bool
        do {
            replaced = isMove
                ? try await storage.move(from: path, to: destination, overwrite: overwrite)
                : try await storage.copy(from: path, to: destination, overwrite: overwrite, recursive: depth == .infinity)
        } catch DAVError.alreadyExists {
            throw DAVError.preconditionFailed
        }
        // §7.5, §9.9.1: locks do not move with the resource; a replaced destination lost its own.
        if isMove { locks.removeLocks(under: path) }
        if replaced { locks.removeLocks(under: destination) }
        var fields = HTTPFields()
        if !replaced { fields[.location] = destination.href(isCollection: info.isCollection) }
        return HTTPServerResponse(status: replaced ? .noContent : .created, headerFields: fields)
    }
}
