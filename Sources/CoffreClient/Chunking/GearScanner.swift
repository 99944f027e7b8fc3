/// Where the gear hash stands inside the chunk being scanned, so a scan can resume when more
/// bytes arrive. Positions count from the chunk's first byte.
struct ScanState: Equatable {
    /// The next position to judge.
    var position: Int
    /// The gear fingerprint after the byte at `position - 1` (zero before the first judged byte).
    var fingerprint: UInt64

    /// The state at the start of a chunk: nothing hashed, judging starts at the minimum size.
    init(parameters: ChunkingParameters) {
        position = parameters.minimumSize
        fingerprint = 0
    }

    init(position: Int, fingerprint: UInt64) {
        self.position = position
        self.fingerprint = fingerprint
    }
}

/// The FastCDC judgment loop over one chunk's bytes: the gear rolling hash
/// `fp = (fp << 1) + gear[byte]` and the cut test `fp & mask == 0` (TPDS 2020, Algorithm 1).
///
/// Two speed-ups that do not change any cut point:
/// - *Rolling two bytes each time* (TPDS 2020 §3.4): `(fp << 2) + (gear[b] << 1)` is the
///   fingerprint after `b` shifted left by one, so it is tested against `mask << 1` and the
///   second byte adds `gear[b']` unshifted. This saves one shift per two bytes on the hash's
///   dependency chain.
/// - *Four lanes*: a 64-bit gear fingerprint depends only on the last 64 bytes hashed (older
///   terms are shifted out), so each quarter of a block (4 KiB lanes of a 16 KiB block; shorter
///   ones for the rest of a range) starts its own fingerprint from the 64 bytes before it and
///   the four are hashed in one loop (`GearScanner+FourLanes.swift`). The dependency chains
///   overlap in the CPU; a cut in an earlier lane wins over one in a later lane.
///
/// Holds borrowed pointers: valid only inside the closures that lend them.
struct GearScanner {
    /// Bytes per lane of a full block; even, so each lane is a whole number of two-byte steps.
    static let laneLength = 4096
    /// The shortest lanes worth a block: below this, the three 64-byte warm-ups cost more than
    /// the overlapped chains save, and the rest of the range is scanned on one lane.
    static let shortestLaneLength = 512
    /// Bytes a lane hashes before its start to rebuild the fingerprint (its width in bits).
    static let warmUpLength = 64

    /// The chunk's first byte.
    let bytes: UnsafeRawPointer
    /// 512 words: `gear[0...255]`, then `gear[i] << 1` for the first byte of each two-byte
    /// step (one pointer, so the shifted half is reached with a constant displacement).
    let gear: UnsafePointer<UInt64>

    /// Judges positions `from..<to` with `mask`, continuing from `fingerprint` (the hash after
    /// position `from - 1`). Returns the chunk length `p + 1` for the first position `p` whose
    /// fingerprint has none of `mask`'s bits set; otherwise returns nil and leaves in
    /// `fingerprint` the hash after position `to - 1`.
    ///
    /// Requires `from` at or after the position where the hash started from zero (the minimum
    /// size), and `mask` with bit 63 clear.
    func firstCut(from: Int, to: Int, mask: UInt64, fingerprint: inout UInt64) -> Int? {
        var position = from
        var hash = fingerprint
        while to &- position >= 4 &* Self.shortestLaneLength {
            // Even, so every lane is whole two-byte steps.
            let lane = min(Self.laneLength, ((to &- position) / 4) & ~1)
            let block = bytes + position
            // Each later lane starts at least `shortestLaneLength` (> 64) bytes after `from`: its
            // warm-up stays inside the bytes the hash has covered.
            var lanes = FourLanes(first: hash, warmingUp: block, laneLength: lane, gear: gear)
            if let hit = lanes.scan(block, laneLength: lane, gear: gear, mask: mask) {
                return position &+ earliestCut(in: block, laneLength: lane, hit: hit, lanes: lanes, mask: mask)
            }
            hash = lanes.d
            position &+= 4 &* lane
        }
        if let cut = firstCutOneLane(from: position, to: to, mask: mask, fingerprint: &hash) { return cut }
        fingerprint = hash
        return nil
    }

    /// The first cut of a block in which lane `hit.lane` cut at lane offset `hit.length - 1`:
    /// the lanes before it, which come earlier in the chunk, finish their own bytes first (they
    /// have hashed up to the end of the step that cut) and win with any cut of theirs. Returns
    /// the cut as a length from the block's start.
    private func earliestCut(in block: UnsafeRawPointer, laneLength lane: Int, hit: FourLanes.Hit, lanes: FourLanes, mask: UInt64) -> Int {
        // The earlier lanes hashed both bytes of the step that cut.
        let resume = (hit.length &+ 1) & ~1
        let blockStart = block - bytes
        for index in 0..<hit.lane {
            var hash = lanes[index]
            let laneStart = blockStart &+ index &* lane
            if let cut = firstCutOneLane(from: laneStart &+ resume, to: laneStart &+ lane, mask: mask, fingerprint: &hash) {
                return cut &- blockStart
            }
        }
        return hit.lane &* lane &+ hit.length
    }

    /// The same judgment as `firstCut` on one lane: two bytes per step, then one odd byte.
    private func firstCutOneLane(from: Int, to: Int, mask: UInt64, fingerprint: inout UInt64) -> Int? {
        let shiftedMask = mask &<< 1
        var hash = fingerprint
        var i = from
        while i &+ 1 < to {
            hash = (hash &<< 2) &+ gear[256 &+ Int(byte(i))]
            if hash & shiftedMask == 0 { return i &+ 1 }
            hash = hash &+ gear[Int(byte(i &+ 1))]
            if hash & mask == 0 { return i &+ 2 }
            i &+= 2
        }
        if i < to {
            hash = (hash &<< 1) &+ gear[Int(byte(i))]
            if hash & mask == 0 { return i &+ 1 }
        }
        fingerprint = hash
        return nil
    }

    /// The byte at chunk position `offset`; a raw load, legal whatever the memory is bound to.
    @inline(__always)
    private func byte(_ offset: Int) -> UInt8 {
        bytes.load(fromByteOffset: offset, as: UInt8.self)
    }
}
