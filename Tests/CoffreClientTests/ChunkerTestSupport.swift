@testable import CoffreClient
import CoffreCrypto

/// Inputs, keys and byte sources shared by the chunker tests.
enum ChunkerFixtures {
    /// Key of test vector 1 and of most tests: bytes 0x00, 0x01, ..., 0x1f.
    static let key = (0..<32).map { UInt8($0) }
    /// Key of test vector 2: bytes 0x1f, 0x1e, ..., 0x00.
    static let reversedKey = Array(key.reversed())

    /// The documented test-vector stream: block j = SHA-256("coffre/v1/chunker-test-input" ‖
    /// u32be(j)), blocks concatenated and cut to `count` bytes.
    static func vectorStream(count: Int) throws -> [UInt8] {
        let label = Array("coffre/v1/chunker-test-input".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count + 32)
        var block: UInt32 = 0
        while out.count < count {
            let counter = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: block >> $0) }
            out += try SHA256.hash(label + counter)
            block += 1
        }
        return Array(out.prefix(count))
    }

    /// Fast deterministic bytes (SplitMix64 words) for large inputs whose exact content is not
    /// a published vector.
    static func pseudoRandom(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            while offset < count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let take = min(8, count - offset)
                withUnsafeBytes(of: z) { word in
                    raw.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: take)
                }
                offset += take
            }
            initialized = count
        }
    }

    /// The first place two cut-point lists differ, or nil; keeps failure messages short.
    static func firstDifference(_ actual: [Int], _ expected: [Int]) -> String? {
        if actual == expected { return nil }
        let shared = min(actual.count, expected.count)
        let index = (0..<shared).first { actual[$0] != expected[$0] } ?? shared
        let got = index < actual.count ? String(actual[index]) : "nothing"
        let wanted = index < expected.count ? String(expected[index]) : "nothing"
        return "cut \(index): got \(got), expected \(wanted) (\(actual.count) vs \(expected.count) cuts)"
    }

    /// Chunk lengths from cut points.
    static func lengths(_ cuts: [Int]) -> [Int] {
        zip(cuts, [0] + cuts).map { $0 - $1 }
    }

    /// Plain FastCDC as `docs/format-chunker.md` writes it: one byte at a time, one lane, no
    /// resumption. The optimized scanner must cut exactly where this does.
    static func referenceCutPoints(_ data: [UInt8], key: [UInt8], parameters: ChunkingParameters) throws -> [Int] {
        let gear = try Chunker.gear(key: key)
        var cuts: [Int] = []
        var start = 0
        while start < data.count {
            let remaining = data.count - start
            var length = min(remaining, parameters.maximumSize)
            if remaining > parameters.minimumSize {
                var fingerprint: UInt64 = 0
                for position in parameters.minimumSize..<length {
                    fingerprint = (fingerprint &<< 1) &+ gear[Int(data[start + position])]
                    let mask = position < parameters.normalSize ? parameters.smallMask : parameters.largeMask
                    if fingerprint & mask == 0 {
                        length = position + 1
                        break
                    }
                }
            }
            start += length
            cuts.append(start)
        }
        return cuts
    }
}

/// Serves an array through reads whose sizes cycle through `readSizes` (each capped by the
/// space offered), to exercise short and odd reads.
struct ScriptedByteSource: ByteSource {
    let data: [UInt8]
    let readSizes: [Int]
    private var offset = 0
    private var readIndex = 0
    /// Number of `read` calls so far.
    private(set) var readCount = 0

    init(data: [UInt8], readSizes: [Int]) {
        self.data = data
        self.readSizes = readSizes
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        readCount += 1
        let count = min(readSizes[readIndex % readSizes.count], buffer.count, data.count - offset)
        readIndex += 1
        data.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
        }
        offset += count
        return count
    }
}

/// A hostile source: serves `honestBytes` bytes, then reports an impossible byte count.
struct LyingByteSource: ByteSource {
    enum Lie: CaseIterable, Sendable {
        case oneMoreThanAsked, negative, huge

        func count(requested: Int) -> Int {
            switch self {
            case .oneMoreThanAsked: return requested + 1
            case .negative: return -1
            case .huge: return Int.max
            }
        }
    }

    var honestBytes: Int
    let lie: Lie

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if honestBytes > 0 {
            let count = min(honestBytes, buffer.count)
            buffer.baseAddress!.initializeMemory(as: UInt8.self, repeating: 7, count: count)
            honestBytes -= count
            return count
        }
        return lie.count(requested: buffer.count)
    }
}

/// A source whose reads fail after some bytes, as a disk error would.
struct FailingByteSource: ByteSource {
    struct Failure: Error, Equatable {}
    var bytesBeforeFailure: Int

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard bytesBeforeFailure > 0 else { throw Failure() }
        let count = min(bytesBeforeFailure, buffer.count)
        buffer.baseAddress!.initializeMemory(as: UInt8.self, repeating: 1, count: count)
        bytesBeforeFailure -= count
        return count
    }
}
