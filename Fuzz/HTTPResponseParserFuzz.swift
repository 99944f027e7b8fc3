// libFuzzer entry point for the client's response parser: compiled together with the parser's
// sources (Sources/HTTPServer/Parser/*.swift and the client's error type, stdlib only) by
// `make fuzz-client`.
//
// Each input is a hostile server's bytes. It is fed three ways — whole, in pieces sized by the
// first byte, and one byte at a time — and the outcomes must agree; the body after a chunked
// head goes through the chunked decoder the same way. Any crash, trap, hang or out-of-bounds
// access is a finding.

struct Outcome: Equatable {
    var heads: [HTTPResponseHead] = []
    var error: HTTPClientError?
    var consumed = 0
    var body: [UInt8] = []
    var bodyError: HTTPServerError?
    var bodyFinished = false
}

let limits = HTTPResponseHeadParser.Limits(maxHeadBytes: 2048, maxHeaderCount: 20)

/// Parses heads as the client does: interim (1xx) heads are collected and the next one read,
/// up to the final head; then a chunked body, if the final head announces one.
func run(_ input: UnsafeRawBufferPointer, step: Int) -> Outcome {
    var parser = HTTPResponseHeadParser(limits: limits)
    var offset = 0
    var outcome = Outcome()
    do throws(HTTPClientError) {
        while offset < input.count {
            let end = offset + min(step, input.count - offset)
            let (used, head) = try parser.parse(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
            precondition(used <= end - offset, "parser consumed more than it was given")
            offset += used
            guard let head else {
                precondition(offset == end, "parser stopped early without a head")
                continue
            }
            outcome.heads.append(head)
            if !head.isInterim { break }
        }
    } catch {
        // Where the error is noticed depends on the split; only the error itself must agree.
        outcome.error = error
        return outcome
    }
    outcome.consumed = offset
    guard let head = outcome.heads.last, !head.isInterim, head.bodyFraming(requestWasHEAD: false) == .chunked else {
        return outcome
    }
    var decoder = HTTPChunkedDecoder(maxExtensionBytes: 64, maxTrailerBytes: 256)
    do throws(HTTPServerError) {
        while offset < input.count && !decoder.isFinished {
            let end = offset + min(step, input.count - offset)
            let used = try decoder.decode(UnsafeRawBufferPointer(rebasing: input[offset..<end])) { data in
                outcome.body.append(contentsOf: data)
            }
            precondition(used <= end - offset, "decoder consumed more than it was given")
            offset += used
        }
    } catch {
        outcome.bodyError = error
    }
    outcome.bodyFinished = decoder.isFinished
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponseParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let first = input.first else { return 0 }
    let whole = run(input, step: Int.max)
    let pieces = run(input, step: Int(first % 17) + 1)
    precondition(whole == pieces, "result depends on how the bytes were split")
    if size <= 512 {
        let single = run(input, step: 1)
        precondition(whole == single, "result differs when fed one byte at a time")
    }
    for head in whole.heads {
        precondition((100...599).contains(head.statusCode), "status code out of range accepted")
        precondition(head.headers.count <= limits.maxHeaderCount, "too many headers accepted")
        if case .contentLength(let length) = head.framing { precondition(length >= 0, "negative length") }
        if head.framing == .chunked { precondition(head.minorVersion == 1, "chunked in HTTP/1.0 accepted") }
        for line in head.headers {
            precondition(!line.name.isEmpty, "empty field name accepted")
            precondition(!line.value.utf8.contains(13) && !line.value.utf8.contains(10), "CR or LF inside a field value")
        }
    }
    return 0
}
