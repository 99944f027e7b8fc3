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
///   terms are shifted out), so each 4 KiB quarter of a 16 KiB block starts its own fingerprint
///   from the 64 bytes before it and the four are hashed in one loop. The dependency chains
///   overlap in the CPU; a cut in an earlier quarter wins over one in a later quarter. Two
///   lanes for the rest of a range shorter than a block, then one.
///
/// Holds borrowed pointers: valid only inside the closures that lend them.
struct GearScanner {
    /// Bytes per lane; even, so each lane is a whole number of two-byte steps.
    static let laneLength = 4096
    /// Bytes a lane hashes before its start to rebuild the fingerprint (its width in bits).
    static let warmUpLength = 64

    /// The chunk's first byte.
    let bytes: UnsafeRawPointer
    /// `gear[0...255]`.
    let gear: UnsafePointer<UInt64>
    /// `gear[i] << 1` for the first byte of each two-byte step.
    let gearShifted: UnsafePointer<UInt64>

    /// Judges positions `from..<to` with `mask`, continuing from `fingerprint` (the hash after
    /// position `from - 1`). Returns the chunk length `p + 1` for the first position `p` whose
    /// fingerprint has none of `mask`'s bits set; otherwise returns nil and leaves in
    /// `fingerprint` the hash after position `to - 1`.
    ///
    /// Requires `from` at or after the position where the hash started from zero (the minimum
    /// size), and `mask` with bit 63 clear.
    func firstCut(from: Int, to: Int, mask: UInt64, fingerprint: inout UInt64) -> Int? {
        let shiftedMask = mask &<< 1
        let lane = Self.laneLength
        var position = from
        var laneA = fingerprint
        if let cut = firstCutFourLanes(position: &position, to: to, mask: mask, fingerprint: &laneA) { return cut }
        while to &- position >= 2 &* lane {
            let middle = position &+ lane
            // `middle - 64 > from`, so the warm-up never reaches before the hash's start.
            var laneB = warmUpFingerprint(endingBefore: middle)
            var i = position
            var laneBCut = 0
            while i < middle {
                let j = i &+ lane
                laneA = (laneA &<< 2) &+ gearShifted[Int(byte(i))]
                if laneA & shiftedMask == 0 { return i &+ 1 }
                laneA = laneA &+ gear[Int(byte(i &+ 1))]
                if laneA & mask == 0 { return i &+ 2 }
                laneB = (laneB &<< 2) &+ gearShifted[Int(byte(j))]
                if laneB & shiftedMask == 0 {
                    laneBCut = j &+ 1
                    i &+= 2
                    break
                }
                laneB = laneB &+ gear[Int(byte(j &+ 1))]
                if laneB & mask == 0 {
                    laneBCut = j &+ 2
                    i &+= 2
                    break
                }
                i &+= 2
            }
            if laneBCut != 0 {
                // The rest of the first half comes earlier in the chunk and may cut first.
                var rest = laneA
                return firstCutOneLane(from: i, to: middle, mask: mask, fingerprint: &rest) ?? laneBCut
            }
            laneA = laneB
            position = middle &+ lane
        }
        if let cut = firstCutOneLane(from: position, to: to, mask: mask, fingerprint: &laneA) {
            return cut
        }
        fingerprint = laneA
        return nil
    }

    /// Blocks of four lanes while at least four lanes' bytes remain: the same judgment with four
    /// dependency chains in flight instead of two. Advances `position` and `fingerprint` past
    /// the blocks without a cut; returns the first cut otherwise. A cut found in a later lane
    /// first finishes the earlier lanes, which come earlier in the chunk and may cut first.
    private func firstCutFourLanes(position: inout Int, to: Int, mask: UInt64, fingerprint: inout UInt64) -> Int? {
        let shiftedMask = mask &<< 1
        let lane = Self.laneLength
        var laneA = fingerprint
        while to &- position >= 4 &* lane {
            let endA = position &+ lane
            // Each later lane starts at least one lane after `from`: its warm-up stays inside
            // the bytes the hash has covered.
            var laneB = warmUpFingerprint(endingBefore: endA)
            var laneC = warmUpFingerprint(endingBefore: endA &+ lane)
            var laneD = warmUpFingerprint(endingBefore: endA &+ 2 &* lane)
            var i = position
            var cutLane = 0
            var cut = 0
            while i < endA {
                laneA = (laneA &<< 2) &+ gearShifted[Int(byte(i))]
                if laneA & shiftedMask == 0 { return i &+ 1 }
                laneA = laneA &+ gear[Int(byte(i &+ 1))]
                if laneA & mask == 0 { return i &+ 2 }
                let j = i &+ lane
                laneB = (laneB &<< 2) &+ gearShifted[Int(byte(j))]
                if laneB & shiftedMask == 0 { (cutLane, cut) = (1, j &+ 1); break }
                laneB = laneB &+ gear[Int(byte(j &+ 1))]
                if laneB & mask == 0 { (cutLane, cut) = (1, j &+ 2); break }
                let k = j &+ lane
                laneC = (laneC &<< 2) &+ gearShifted[Int(byte(k))]
                if laneC & shiftedMask == 0 { (cutLane, cut) = (2, k &+ 1); break }
                laneC = laneC &+ gear[Int(byte(k &+ 1))]
                if laneC & mask == 0 { (cutLane, cut) = (2, k &+ 2); break }
                let l = k &+ lane
                laneD = (laneD &<< 2) &+ gearShifted[Int(byte(l))]
                if laneD & shiftedMask == 0 { (cutLane, cut) = (3, l &+ 1); break }
                laneD = laneD &+ gear[Int(byte(l &+ 1))]
                if laneD & mask == 0 { (cutLane, cut) = (3, l &+ 2); break }
                i &+= 2
            }
            if cutLane != 0 {
                // Lanes before the cutting one hashed this step's two bytes already.
                i &+= 2
                if let earlier = firstCutOneLane(from: i, to: endA, mask: mask, fingerprint: &laneA) { return earlier }
                if cutLane > 1, let earlier = firstCutOneLane(from: i &+ lane, to: endA &+ lane, mask: mask, fingerprint: &laneB) {
                    return earlier
                }
                if cutLane > 2,
                    let earlier = firstCutOneLane(from: i &+ 2 &* lane, to: endA &+ 2 &* lane, mask: mask, fingerprint: &laneC)
                {
                    return earlier
                }
                return cut
            }
            laneA = laneD
            position = endA &+ 3 &* lane
        }
        fingerprint = laneA
        return nil
    }

    /// The same judgment as `firstCut` on one lane: two bytes per step, then one odd byte.
    private func firstCutOneLane(from: Int, to: Int, mask: UInt64, fingerprint: inout UInt64) -> Int? {
        let shiftedMask = mask &<< 1
        var hash = fingerprint
        var i = from
        while i &+ 1 < to {
            hash = (hash &<< 2) &+ gearShifted[Int(byte(i))]
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

    /// The fingerprint after position `end - 1`, rebuilt from the 64 bytes before `end`.
    private func warmUpFingerprint(endingBefore end: Int) -> UInt64 {
        var hash: UInt64 = 0
        var i = end &- Self.warmUpLength
        while i < end {
            hash = (hash &<< 1) &+ gear[Int(byte(i))]
            i &+= 1
        }
        return hash
    }

    /// The byte at chunk position `offset`; a raw load, legal whatever the memory is bound to.
    @inline(__always)
    private func byte(_ offset: Int) -> UInt8 {
        bytes.load(fromByteOffset: offset, as: UInt8.self)
    }
}
