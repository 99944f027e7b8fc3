// Standard library only: this file is compiled into the parser fuzz target as well (Fuzz/).

/// Incremental parser of one request head (request line + header section, RFC 9112 §2.1).
///
/// Bytes may arrive in any split, down to one at a time. The parser scans each byte once for the
/// CRLF CRLF that ends the head, enforcing the size limits as it goes (so an oversized head is
/// refused before it is complete), keeps only the bytes of an unfinished head, and parses the
/// complete head in one pass. A head that arrives whole in one buffer is parsed in place.
struct HTTPRequestHeadParser {
    /// The limits the parser enforces.
    struct Limits: Sendable {
        var maxHeadBytes: Int
        var maxHeaderCount: Int
        var maxURILength: Int
    }

    let limits: Limits
    /// Bytes of the unfinished head received in earlier calls.
    private var storage: [UInt8] = []
    /// How much of the terminating CR LF CR LF the last scanned bytes matched (0...3).
    private var terminatorMatch = 0
    /// True once the request line's CRLF was seen.
    private var requestLineEnded = false
    /// Bytes counted against `maxHeadBytes`, including skipped leading empty lines.
    private var headBytes = 0

    init(limits: Limits) {
        self.limits = limits
    }

    /// Forgets any partial head and releases a large buffer, ready for the next request.
    mutating func reset() {
        if storage.capacity > 4096 { storage = [] } else { storage.removeAll(keepingCapacity: true) }
        terminatorMatch = 0
        requestLineEnded = false
        headBytes = 0
    }

    /// Consumes bytes up to the end of the head.
    ///
    /// - Returns: how many bytes of `input` were consumed, and the head when it is complete
    ///   (bytes after it — body or a pipelined request — are not consumed).
    /// - Throws: the `HTTPServerError` whose status code answers the violation.
    mutating func parse(_ input: UnsafeRawBufferPointer) throws(HTTPServerError) -> (consumed: Int, head: HTTPRequestHead?) {
        var index = 0
        var start = 0
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) received before
        // the request-line; any number are skipped here, bounded by the head size limit.
        if storage.isEmpty {
            while index < input.count && (input[index] == HTTPByteClass.cr || input[index] == HTTPByteClass.lf) {
                index += 1
                headBytes += 1
            }
            if headBytes > limits.maxHeadBytes { throw .requestHeadTooLarge }
            start = index
        }
        var match = terminatorMatch
        var lineEnded = requestLineEnded
        let remainingBudget = limits.maxHeadBytes - headBytes
        let firstLineBudget = limits.maxURILength + 64
        while index < input.count {
            let byte = input[index]
            index += 1
            if byte == HTTPByteClass.cr {
                match = match == 2 ? 3 : 1
            } else if byte == HTTPByteClass.lf {
                // RFC 9112 §2.2: lines end with CRLF; a bare LF is refused rather than guessed.
                guard match == 1 || match == 3 else { throw .badRequest(reason: "line ending without CR") }
                if match == 3 {
                    match = 4
                    break
                }
                match = 2
                lineEnded = true
            } else {
                match = 0
            }
            let used = index - start
            if !lineEnded && storage.count + used > firstLineBudget { throw .uriTooLong }
            if used > remainingBudget { throw lineEnded ? .requestHeadTooLarge : .uriTooLong }
        }
        let used = index - start
        guard match == 4 else {
            storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<index]))
            headBytes += used
            terminatorMatch = match
            requestLineEnded = lineEnded
            return (index, nil)
        }
        let head: HTTPRequestHead
        if storage.isEmpty {
            head = try Self.parseHead(UnsafeRawBufferPointer(rebasing: input[start..<index]), limits: limits)
        } else {
            storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<index]))
            let parsed = storage.withUnsafeBytes { bytes in
                Result { () throws(HTTPServerError) -> HTTPRequestHead in try Self.parseHead(bytes, limits: limits) }
            }
            head = try parsed.get()
        }
        reset()
        return (index, head)
    }
}
