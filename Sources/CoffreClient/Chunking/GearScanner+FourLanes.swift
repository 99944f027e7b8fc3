extension GearScanner {
    /// The fingerprints of a block's four lanes (lane `a` first in the chunk), and the block
    /// loop that hashes them side by side.
    ///
    /// The loops live in their own functions, not inlined into `firstCut`, so the compiler
    /// keeps all of the loop's state in registers: the four fingerprints, both masks, the
    /// table, the block pointer and the lane length. Inlined, the masks and the loop bound went
    /// to the stack and each step paid extra loads on a loop bound by its loads (two per byte:
    /// the byte and its gear word; docs/performance.md, "The FastCDC cut search and the
    /// sealer's hashing tail").
    struct FourLanes {
        /// Where a lane cut: its index (0...3) and the cut as a length from the lane's start.
        struct Hit {
            let lane: Int
            let length: Int
        }

        var a: UInt64
        var b: UInt64
        var c: UInt64
        var d: UInt64

        /// Lane `a` goes on from `first`; lanes `b`, `c`, `d` start from their warm-up, the 64
        /// bytes before each (a fingerprint holds nothing older), hashed as three chains at once.
        /// `block` must have 64 hashed bytes before lane `b`'s start, which `laneLength >= 64`
        /// guarantees.
        @inline(never)
        init(first: UInt64, warmingUp block: UnsafeRawPointer, laneLength lane: Int, gear: UnsafePointer<UInt64>) {
            var b: UInt64 = 0
            var c: UInt64 = 0
            var d: UInt64 = 0
            var p = block + (lane &- GearScanner.warmUpLength)
            let end = block + lane
            let twoLanes = 2 &* lane
            while p < end {
                b = (b &<< 1) &+ gear[Int(p.load(as: UInt8.self))]
                c = (c &<< 1) &+ gear[Int(p.load(fromByteOffset: lane, as: UInt8.self))]
                d = (d &<< 1) &+ gear[Int(p.load(fromByteOffset: twoLanes, as: UInt8.self))]
                p += 1
            }
            self.a = first
            self.b = b
            self.c = c
            self.d = d
        }

        /// The fingerprint of lane `index` (0...3).
        subscript(index: Int) -> UInt64 {
            switch index {
            case 0: return a
            case 1: return b
            case 2: return c
            default: return d
            }
        }

        /// Hashes the four lanes of `block` (each `laneLength` bytes, even) two bytes per step,
        /// lane by lane within a step, with the judgment of `GearScanner.firstCut`. Stops at the
        /// first step with a cut in any lane and returns it; the lanes before it have then
        /// hashed that step too, the lanes after it have not. Returns nil after the whole block,
        /// each fingerprint then at its lane's end.
        mutating func scan(_ block: UnsafeRawPointer, laneLength lane: Int, gear: UnsafePointer<UInt64>, mask: UInt64) -> Hit? {
            lane == GearScanner.laneLength
                ? scanFullBlock(block, gear: gear, mask: mask) : scanShortBlock(block, laneLength: lane, gear: gear, mask: mask)
        }

        /// `scan` of a full block: with the lane length a constant, each lane's bytes are one
        /// pointer and index away at a fixed displacement, which spares a register and the
        /// address arithmetic per step.
        @inline(never)
        private mutating func scanFullBlock(_ block: UnsafeRawPointer, gear: UnsafePointer<UInt64>, mask: UInt64) -> Hit? {
            scanLanes(block, laneLength: GearScanner.laneLength, gear: gear, mask: mask)
        }

        /// `scan` of the shorter block at the end of a range.
        @inline(never)
        private mutating func scanShortBlock(
            _ block: UnsafeRawPointer, laneLength lane: Int, gear: UnsafePointer<UInt64>, mask: UInt64
        ) -> Hit? {
            scanLanes(block, laneLength: lane, gear: gear, mask: mask)
        }

        @inline(__always)
        private mutating func scanLanes(
            _ block: UnsafeRawPointer, laneLength lane: Int, gear: UnsafePointer<UInt64>, mask: UInt64
        ) -> Hit? {
            let shiftedMask = mask &<< 1
            var (a, b, c, d) = (self.a, self.b, self.c, self.d)
            defer { (self.a, self.b, self.c, self.d) = (a, b, c, d) }
            let laneB = block + lane
            let laneC = laneB + lane
            let laneD = laneC + lane
            var i = 0
            while i < lane {
                a = (a &<< 2) &+ gear[256 &+ Int(block.load(fromByteOffset: i, as: UInt8.self))]
                if a & shiftedMask == 0 { return Hit(lane: 0, length: i &+ 1) }
                a = a &+ gear[Int(block.load(fromByteOffset: i &+ 1, as: UInt8.self))]
                if a & mask == 0 { return Hit(lane: 0, length: i &+ 2) }
                b = (b &<< 2) &+ gear[256 &+ Int(laneB.load(fromByteOffset: i, as: UInt8.self))]
                if b & shiftedMask == 0 { return Hit(lane: 1, length: i &+ 1) }
                b = b &+ gear[Int(laneB.load(fromByteOffset: i &+ 1, as: UInt8.self))]
                if b & mask == 0 { return Hit(lane: 1, length: i &+ 2) }
                c = (c &<< 2) &+ gear[256 &+ Int(laneC.load(fromByteOffset: i, as: UInt8.self))]
                if c & shiftedMask == 0 { return Hit(lane: 2, length: i &+ 1) }
                c = c &+ gear[Int(laneC.load(fromByteOffset: i &+ 1, as: UInt8.self))]
                if c & mask == 0 { return Hit(lane: 2, length: i &+ 2) }
                d = (d &<< 2) &+ gear[256 &+ Int(laneD.load(fromByteOffset: i, as: UInt8.self))]
                if d & shiftedMask == 0 { return Hit(lane: 3, length: i &+ 1) }
                d = d &+ gear[Int(laneD.load(fromByteOffset: i &+ 1, as: UInt8.self))]
                if d & mask == 0 { return Hit(lane: 3, length: i &+ 2) }
                i &+= 2
            }
            return nil
        }
    }
}
