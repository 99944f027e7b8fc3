import CoffreClient

/// The FastCDC cut search alone: `Chunker.cutPoints` (the scanner the sealer runs) against
/// `BaselineGearScanner` (the one before it) over the same bytes, in turn, `rounds` times, so
/// each pair of figures meets about the same load on a shared machine. Throughput counts the
/// input's bytes (one full pass of the file), per CPU second of this process.
struct ScanBench {
    let input: UnsafeRawBufferPointer
    let chunker: Chunker

    /// The figures of each round, baseline first, and the median of each.
    struct Result {
        let rounds: [(baseline: Measurement, current: Measurement)]
        var baseline: Measurement { Measurement.median(rounds.map(\.baseline)) }
        var current: Measurement { Measurement.median(rounds.map(\.current)) }
    }

    /// Checks that both scanners cut at the same places, then times them in turn. Stops the
    /// bench if they differ: a faster scanner that cuts elsewhere is no result.
    func run(rounds: Int) -> Result {
        let expected = chunker.cutPoints(in: input)
        precondition(baselineCutPoints() == expected, "the baseline scanner cuts elsewhere than Chunker")
        var figures: [(baseline: Measurement, current: Measurement)] = []
        for _ in 0..<rounds {
            var cuts: [Int] = []
            let baseline = Stopwatch.measure("cut search, baseline scanner", bytes: input.count) { cuts = baselineCutPoints() }
            precondition(cuts == expected)
            let current = Stopwatch.measure("cut search (GearScanner)", bytes: input.count) { cuts = chunker.cutPoints(in: input) }
            precondition(cuts == expected)
            figures.append((baseline, current))
        }
        return Result(rounds: figures)
    }

    /// `Chunker.cutPoints(in:)` with the baseline scanner: the same normalized-chunking
    /// driver (MaskS before the normal size, MaskL after, at most the maximum size).
    private func baselineCutPoints() -> [Int] {
        guard let base = input.baseAddress else { return [] }
        return chunker.gearTable.withUnsafeBufferPointer { table in
            let gear = table.baseAddress!
            var cuts: [Int] = []
            var start = 0
            while start < input.count {
                let limit = min(input.count - start, Chunker.maximumChunkSize)
                var length = limit
                if limit > Chunker.minimumChunkSize {
                    let scanner = BaselineGearScanner(bytes: base + start, gear: gear, gearShifted: gear + 256)
                    var fingerprint: UInt64 = 0
                    let normalEnd = min(Chunker.normalChunkSize, limit)
                    if let cut = scanner.firstCut(
                        from: Chunker.minimumChunkSize, to: normalEnd, mask: Chunker.smallMask, fingerprint: &fingerprint)
                    {
                        length = cut
                    } else if normalEnd < limit,
                        let cut = scanner.firstCut(from: normalEnd, to: limit, mask: Chunker.largeMask, fingerprint: &fingerprint)
                    {
                        length = cut
                    }
                }
                start += length
                cuts.append(start)
            }
            return cuts
        }
    }
}
