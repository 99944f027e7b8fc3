// Standard library only: this file is compiled into the parser fuzz target as well (Fuzz/).

/// Incremental decoder of the chunked transfer coding (RFC 9112 §7.1).
///
/// Accepts input split anywhere. Chunk sizes are hex with an overflow bound, chunk extensions
/// (RFC 9112 §7.1.1) are bounded and ignored, trailer fields (RFC 9112 §7.1.2) are bounded and
/// discarded. Data is handed out as slices of the input, never copied here.
struct HTTPChunkedDecoder {
    private enum State {
        case size
        case extensionBytes
        case sizeLF
        case data
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine
        case trailerLF
        case finalLF
        case done
    }

    /// Largest chunk size accepted: 2^60 bytes, far beyond any body limit, far below overflow.
    static let maxChunkSize: UInt64 = 1 << 60

    private var state = State.size
    private var sizeDigits = 0
    private var chunkRemaining: UInt64 = 0
    private var lineBytes = 0
    private var trailerBytes = 0
    let maxExtensionBytes: Int
    let maxTrailerBytes: Int

    init(maxExtensionBytes: Int = 1024, maxTrailerBytes: Int = 16 * 1024) {
        self.maxExtensionBytes = maxExtensionBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// True once the last chunk and the trailer section were read.
    var isFinished: Bool { state == .done }

    /// Decodes as much of `input` as belongs to the body, calling `emit` with each run of data.
    /// - Returns: the bytes consumed; fewer than `input.count` only when the body ended.
    mutating func decode(
        _ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Void
    ) throws(HTTPServerError) -> Int {
        var index = 0
        while index < input.count && state != .done {
            let byte = input[index]
            switch state {
            case .size:
                if let digit = Self.hexValue(byte) {
                    // chunk-size = 1*HEXDIG: bounded so the value can never overflow.
                    chunkRemaining = chunkRemaining << 4 | UInt64(digit)
                    sizeDigits += 1
                    guard sizeDigits <= 16, chunkRemaining <= Self.maxChunkSize else {
                        throw .badRequest(reason: "chunk size too large")
                    }
                } else if sizeDigits > 0 && (byte == UInt8(ascii: ";") || byte == HTTPByteClass.space || byte == HTTPByteClass.tab) {
                    // RFC 9112 §7.1.1: BWS and chunk-ext follow the size; ignored.
                    state = .extensionBytes
                    lineBytes = 1
                } else if sizeDigits > 0 && byte == HTTPByteClass.cr {
                    state = .sizeLF
                } else {
                    throw .badRequest(reason: "invalid chunk size")
                }
                index += 1
            case .extensionBytes:
                if byte == HTTPByteClass.cr {
                    state = .sizeLF
                } else {
                    guard HTTPByteClass.isFieldValueChar(byte) else { throw .badRequest(reason: "invalid chunk extension") }
                    lineBytes += 1
                    guard lineBytes <= maxExtensionBytes else { throw .badRequest(reason: "chunk extension too long") }
                }
                index += 1
            case .sizeLF:
                guard byte == HTTPByteClass.lf else { throw .badRequest(reason: "missing CRLF after chunk size") }
                index += 1
                sizeDigits = 0
                state = chunkRemaining == 0 ? .trailerLineStart : .data
            case .data:
                let available = UInt64(input.count - index)
                let take = Int(min(available, chunkRemaining))
                emit(UnsafeRawBufferPointer(rebasing: input[index..<(index + take)]))
                index += take
                chunkRemaining -= UInt64(take)
                if chunkRemaining == 0 { state = .dataCR }
            case .dataCR:
                guard byte == HTTPByteClass.cr else { throw .badRequest(reason: "missing CRLF after chunk data") }
                index += 1
                state = .dataLF
            case .dataLF:
                guard byte == HTTPByteClass.lf else { throw .badRequest(reason: "missing CRLF after chunk data") }
                index += 1
                state = .size
            case .trailerLineStart:
                // RFC 9112 §7.1.2: trailer fields are read and discarded; an empty line ends them.
                if byte == HTTPByteClass.cr {
                    state = .finalLF
                } else {
                    try countTrailerByte(byte)
                    state = .trailerLine
                }
                index += 1
            case .trailerLine:
                if byte == HTTPByteClass.cr { state = .trailerLF } else { try countTrailerByte(byte) }
                index += 1
            case .trailerLF:
                guard byte == HTTPByteClass.lf else { throw .badRequest(reason: "bare CR in trailer") }
                try countTrailerByte(byte)
                index += 1
                state = .trailerLineStart
            case .finalLF:
                guard byte == HTTPByteClass.lf else { throw .badRequest(reason: "missing final CRLF") }
                index += 1
                state = .done
            case .done:
                break
            }
        }
        return index
    }

    private mutating func countTrailerByte(_ byte: UInt8) throws(HTTPServerError) {
        guard byte == HTTPByteClass.lf || HTTPByteClass.isFieldValueChar(byte) else {
            throw .badRequest(reason: "invalid trailer field")
        }
        trailerBytes += 1
        guard trailerBytes <= maxTrailerBytes else { throw .badRequest(reason: "trailer section too large") }
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
