// libFuzzer entry point for the request parser: compiled together with the parser's sources
// (Sources/HTTPServer/Parser/*.swift, stdlib only) by `make fuzz`.
//
// Each input is fed three ways — whole, in pieces sized by the first byte, and one byte at a
// time — and the outcomes must agree; a chunked body after the head goes through the chunked
// decoder the same way. Any crash, trap, hang or out-of-bounds access is a finding.
// Whatever the fast lane's scanner (HTTPLeanRequestScanner) recognises, the parser must accept
// with the same meaning: method, path, Authorization, persistence, no body, where the head ends.

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
    if let lean = HTTPLeanRequestScanner.scan(input, limits: limits) {
        guard let head = whole.head else { preconditionFailure("the lean scanner recognised a head the parser refuses") }
        let text = { (range: Range<Int>) in String(decoding: UnsafeRawBufferPointer(rebasing: input[range]), as: UTF8.self) }
        let authorizations = head.headers.filter { $0.name.lowercased() == "authorization" }.map(\.value)
        precondition(whole.consumed == lean.headLength, "lean and full heads end at different bytes")
        precondition(head.method == (lean.isHead ? "HEAD" : "GET") && head.minorVersion == 1, "lean method differs")
        precondition(head.path == text(lean.path) && head.query == nil && head.target == head.path, "lean path differs")
        precondition(authorizations == (lean.authorization.map { [text($0)] } ?? []), "lean Authorization differs")
        precondition(head.clientAllowsKeepAlive == lean.keepAlive, "lean persistence differs")
        precondition(head.framing == .none && !head.expectContinue, "lean scanner recognised a body or an expectation")
    }
    // The date parser sees the same hostile text (stdlib only as well).
    if let text = String(validating: input, as: UTF8.self), let seconds = HTTPDate.parse(text) {
        precondition(HTTPDate.parse(HTTPDate.format(seconds)) == seconds, "date round trip")
    }
    return 0
}
