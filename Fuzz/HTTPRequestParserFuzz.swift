// libFuzzer entry point for the request parser: compiled together with the parser's sources
// (Sources/HTTPServer/Parser/*.swift, stdlib only) by `make fuzz`.
//
// Each input is fed three ways — whole, in pieces sized by the first byte, and one byte at a
// time — and the outcomes must agree; a chunked body after the head goes through the chunked
// decoder the same way. Any crash, trap, hang or out-of-bounds access is a finding.

struct Outcome: Equatable {
    var head: HTTPRequestHead?
    var error: HTTPServerError?
    var consumed: Int
    var body: [UInt8] = []
    var bodyError: HTTPServerError?
    var bodyFinished = false
}

let limits = HTTPRequestHeadParser.Limits(maxHeadBytes: 2048, maxHeaderCount: 20, maxURILength: 512)

func run(_ input: UnsafeRawBufferPointer, step: Int) -> Outcome {
    var parser = HTTPRequestHeadParser(limits: limits)
    var offset = 0
    var outcome = Outcome(head: nil, error: nil, consumed: 0)
    do throws(HTTPServerError) {
        while offset < input.count {
            let end = offset + min(step, input.count - offset)
            let (used, head) = try parser.parse(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
            precondition(used <= end - offset, "parser consumed more than it was given")
            offset += used
            if let head {
                outcome.head = head
                break
            }
            precondition(offset == end, "parser stopped early without a head")
        }
    } catch {
        // Where the error is noticed depends on the split; only the error itself must agree.
        outcome.error = error
        return outcome
    }
    outcome.consumed = offset
    guard let head = outcome.head, head.framing == .chunked else { return outcome }
    var decoder = HTTPChunkedDecoder(maxExtensionBytes: 64, maxTrailerBytes: 256)
    do throws(HTTPServerError) {
        while offset < input.count && !decoder.isFinished {
            let end = offset + min(step, input.count - offset)
            let used = try decoder.decode(UnsafeRawBufferPointer(rebasing: input[offset..<end])) { data in
                outcome.body.append(contentsOf: data)
            }
            precondition(used <= end - offset, "decoder consumed more than it was given")
            offset += used
            if used < end - (offset - used) { break }
        }
    } catch {
        outcome.bodyError = error
    }
    outcome.bodyFinished = decoder.isFinished
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let first = input.first else { return 0 }
    let whole = run(input, step: Int.max)
    let pieces = run(input, step: Int(first % 17) + 1)
    precondition(whole == pieces, "result depends on how the bytes were split")
    if size <= 512 {
        let single = run(input, step: 1)
        precondition(whole == single, "result differs when fed one byte at a time")
    }
    if let head = whole.head {
        precondition(!head.method.isEmpty && !head.target.isEmpty, "empty method or target accepted")
        precondition(head.target.utf8.count <= limits.maxURILength, "target over the limit accepted")
        precondition(head.headers.count <= limits.maxHeaderCount, "too many headers accepted")
    }
    // The date parser sees the same hostile text (stdlib only as well).
    if let text = String(validating: input, as: UTF8.self), let seconds = HTTPDate.parse(text) {
        precondition(HTTPDate.parse(HTTPDate.format(seconds)) == seconds, "date round trip")
    }
    return 0
}
