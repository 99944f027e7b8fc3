/// Content-defined chunking with FastCDC (Xia et al., IEEE TPDS 2020): gear rolling hash,
/// normalized chunking level 2, min 256 KiB / normal 1 MiB / max 2 MiB.
///
/// The gear table is secret, derived from the vault's 32-byte `chunker` key, so cut points
/// reveal nothing to whoever lacks the key. The exact algorithm, constants and test vectors are
/// in `docs/format-chunker.md`.
///
/// An empty input has no chunks; an input of at most `minimumChunkSize` bytes is one chunk;
/// every other chunk is longer than `minimumChunkSize` and at most `maximumChunkSize` bytes,
/// except that the last chunk of an input may be shorter.
public struct Chunker: Sendable {
    /// Length of the `chunker` key in bytes.
    public static let keyByteCount = 32
    /// No cut before this many bytes: inputs this long or shorter are a single chunk.
    public static let minimumChunkSize = ChunkingParameters.production.minimumSize
    /// The normal (target) chunk size, where the judgment switches from MaskS to MaskL.
    public static let normalChunkSize = ChunkingParameters.production.normalSize
    /// The longest chunk: a chunk that reaches this length is cut there.
    public static let maximumChunkSize = ChunkingParameters.production.maximumSize
    /// MaskS, judged before `normalChunkSize`: 22 effective bits.
    public static let smallMask = ChunkingParameters.production.smallMask
    /// MaskL, judged from `normalChunkSize` on: 18 effective bits.
    public static let largeMask = ChunkingParameters.production.largeMask

    /// Sizes and masks in use (`.production` outside tests).
    let parameters: ChunkingParameters
    /// 512 words: `gear[0...255]`, then `gear[i] << 1` for the two-byte step. Secret; `package`
    /// only so crypto-bench can run its baseline scanner on the same table.
    package let gearTable: [UInt64]

    /// Builds a chunker from the vault's `chunker` subkey (exactly `keyByteCount` bytes, not all
    /// zero).
    public init(key: some RandomAccessCollection<UInt8>) throws(ChunkingError) {
        try self.init(key: key, parameters: .production)
    }

    /// Builds a chunker with other sizes and masks; tests use it to reach every scanner branch.
    init(key: some RandomAccessCollection<UInt8>, parameters: ChunkingParameters) throws(ChunkingError) {
        precondition(parameters.isValid, "invalid chunking parameters")
        let gear = try Self.gear(key: key)
        self.parameters = parameters
        self.gearTable = gear + gear.map { $0 &<< 1 }
    }

    /// The end offset of every chunk of `bytes`, in order; the last one is `bytes.count`.
    /// Empty input gives `[]`. This is the in-memory path; `StreamingChunker` gives the same
    /// boundaries over a stream.
    public func cutPoints(in bytes: UnsafeRawBufferPointer) -> [Int] {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return [] }
        var cuts: [Int] = []
        cuts.reserveCapacity(bytes.count / parameters.normalSize + 1)
        var start = 0
        while start < bytes.count {
            var state = ScanState(parameters: parameters)
            guard let length = nextChunkLength(at: base + start, available: bytes.count - start, atEnd: true, state: &state)
            else { preconditionFailure("a scan that reaches the end of its input always decides") }
            start += length
            cuts.append(start)
        }
        return cuts
    }

    /// The end offset of every chunk of `bytes` (an array, `Data`, a slice...), in order.
    public func cutPoints(in bytes: some RandomAccessCollection<UInt8>) -> [Int] {
        if let cuts = bytes.withContiguousStorageIfAvailable({ cutPoints(in: UnsafeRawBufferPointer($0)) }) {
            return cuts
        }
        return Array(bytes).withUnsafeBytes { cutPoints(in: $0) }
    }

    /// The length of the chunk that starts at `base`, if `available` bytes decide it.
    ///
    /// With `atEnd` (nothing follows the available bytes) or with at least `maximumSize`
    /// bytes available the answer is always decided; otherwise nil means "no cut in the bytes
    /// so far, read more", and `state` records where to resume. Only the first `maximumSize`
    /// bytes are ever read, so the in-memory and streaming paths cut at the same places.
    func nextChunkLength(at base: UnsafeRawPointer, available: Int, atEnd: Bool, state: inout ScanState) -> Int? {
        let limits = parameters
        let limit = min(available, limits.maximumSize)
        let decided = atEnd || available >= limits.maximumSize
        guard limit > limits.minimumSize else { return decided ? limit : nil }
        return gearTable.withUnsafeBufferPointer { table -> Int? in
            let gear = table.baseAddress!
            let scanner = GearScanner(bytes: base, gear: gear)
            var position = state.position
            var fingerprint = state.fingerprint
            if position < limits.normalSize {
                let end = min(limits.normalSize, limit)
                if let cut = scanner.firstCut(from: position, to: end, mask: limits.smallMask, fingerprint: &fingerprint) {
                    return cut
                }
                position = end
            }
            if position < limit {
                if let cut = scanner.firstCut(from: position, to: limit, mask: limits.largeMask, fingerprint: &fingerprint) {
                    return cut
                }
                position = limit
            }
            state = ScanState(position: position, fingerprint: fingerprint)
            return decided ? limit : nil
        }
    }
}
