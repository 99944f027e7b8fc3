// Standard library only: this file is compiled into the parser fuzz targets as well (Fuzz/).

/// Incremental parser of one response head (status line + header section, RFC 9112 §2.1, §4).
///
/// Bytes may arrive in any split, down to one at a time. Each byte is scanned once for the
/// CRLF CRLF that ends the head, with the size limit enforced as bytes arrive (an oversized
/// head is refused before it is complete); only the bytes of an unfinished head are kept, and
/// the complete head is parsed in one pass.
struct HTTPResponseHeadParser {
    /// The limits the parser enforces.
    struct Limits: Sendable {
        var maxHeadBytes: Int
        var maxHeaderCount: Int
    }

    let limits: Limits
    /// Bytes of the unfinished head received in earlier calls.
    private var storage: [UInt8] = []
    /// How much of the terminating CR LF CR LF the last scanned bytes matched (0...3).
    private var terminatorMatch = 0

    init(limits: Limits) {
        self.limits = limits
    }

    /// Forgets any partial head, ready for the next response (an interim one was parsed).
    mutating func reset() {
        if storage.capacity > 4096 { storage = [] } else { storage.removeAll(keepingCapacity: true) }
        terminatorMatch = 0
    }

    /// Consumes bytes up to the end of the head.
    ///
    /// - Returns: how many bytes of `input` were consumed, and the head when it is complete
    ///   (bytes after it, the body or the next response, are not consumed).
    /// - Throws: `HTTPClientError.malformedResponse`, `.responseHeadTooLarge` or
    ///   `.tooManyHeaderFields`.
    mutating func parse(_ input: UnsafeRawBufferPointer) throws(HTTPClientError) -> (consumed: Int, head: HTTPResponseHead?) {
        var index = 0
        var match = terminatorMatch
        let remainingBudget = limits.maxHeadBytes - storage.count
        while index < input.count {
            let byte = input[index]
            index += 1
            if byte == HTTPByteClass.cr {
                match = match == 2 ? 3 : 1
            } else if byte == HTTPByteClass.lf {
                // RFC 9112 §2.2: lines end with CRLF; a bare LF is refused rather than guessed
                // (a lenient split is exactly what response splitting relies on).
                guard match == 1 || match == 3 else { throw .malformedResponse(reason: "line ending without CR") }
                if match == 3 {
                    match = 4
                    break
                }
                match = 2
            } else {
                match = 0
            }
            if index > remainingBudget { throw .responseHeadTooLarge(limit: limits.maxHeadBytes) }
        }
        guard match == 4 else {
            storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[0..<index]))
            terminatorMatch = match
            return (index, nil)
        }
        let head: HTTPResponseHead
        if storage.isEmpty {
            head = try Self.parseHead(UnsafeRawBufferPointer(rebasing: input[0..<index]), limits: limits)
        } else {
            storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[0..<index]))
            let parsed = storage.withUnsafeBytes { bytes in
                Result { () throws(HTTPClientError) -> HTTPResponseHead in try Self.parseHead(bytes, limits: limits) }
            }
            head = try parsed.get()
        }
        reset()
        return (index, head)
    }
}
