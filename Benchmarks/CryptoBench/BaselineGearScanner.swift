/// The cut search as it stood before the block loops moved into their own functions
/// (`main` at 1955222), kept verbatim as the bench's baseline so every run measures the old
/// and the new scanner side by side on the same bytes and the same CPU minutes. It must cut
/// where `Chunker` does; `ScanBench` checks that before it times anything.
///
/// `BaselineGearScanner`: the verbatim loop, its doc comments trimmed.
struct BaselineGearScanner {
    static let laneLength = 4096
    static let warmUpLength = 64

    let bytes: UnsafeRawPointer
    let gear: UnsafePointer<UInt64>
    let gearShifted: UnsafePointer<UInt64>

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

    private func warmUpFingerprint(endingBefore end: Int) -> UInt64 {
        var hash: UInt64 = 0
        var i = end &- Self.warmUpLength
        while i < end {
            hash = (hash &<< 1) &+ gear[Int(byte(i))]
            i &+= 1
        }
        return hash
    }

    @inline(__always)
    private func byte(_ offset: Int) -> UInt8 {
        bytes.load(fromByteOffset: offset, as: UInt8.self)
    }
}
