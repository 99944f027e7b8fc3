/// Prints the figures, the throughput the primitives imply, and the ratios against the targets
/// of issue 4: pipeline ≥ 85 % of the implied throughput and ≥ 400 MB/s on one core, and a
/// second core nearly doubling it.
struct BenchReport {
    /// Chunking, HMAC-SHA256, AES-256-GCM, SHA-256, in that order.
    let primitives: [Measurement]
    /// AES-256-GCM by OpenSSL when the pipeline runs the vector code (else nil).
    let sealingBaseline: Measurement?
    /// HMAC-SHA256 and SHA-256 as one pair of streams (nil without the SHA extensions): what
    /// the sealer runs in place of the two when it pairs them.
    let pairedHashing: Measurement?
    /// One worker on one CPU, hashes not paired (nil without the SHA extensions).
    let sealOneUnpaired: Measurement?
    let sealOne: Measurement
    let sealAll: Measurement
    let openOne: Measurement
    let openAll: Measurement

    /// 1 / Σ 1/tᵢ: one core doing every primitive in turn, with nothing else.
    static func implied(_ rates: [Double]) -> Double { 1 / rates.reduce(0) { $0 + 1 / $1 } }

    func print() {
        let impliedWall = Self.implied(primitives.map(\.wallMBps))
        let impliedCPU = Self.implied(primitives.map(\.cpuMBps))
        Swift.print("")
        Swift.print(row("figure", "wall MB/s", "CPU MB/s", "cores"))
        let optional = [sealingBaseline, pairedHashing, sealOneUnpaired].compactMap { $0 }
        for figure in primitives + optional + [sealOne, sealAll, openOne, openAll] {
            Swift.print(row(figure.name, format(figure.wallMBps), format(figure.cpuMBps), format(figure.coresUsed, digits: 2)))
        }
        Swift.print(row("implied by the primitives (1/Σ 1/tᵢ)", format(impliedWall), format(impliedCPU), ""))
        if let pairedHashing {
            // Chunking and AES-GCM as measured, the two hashes as the pair.
            let withPair = [primitives[0], primitives[2], pairedHashing]
            Swift.print(
                row("implied with paired hashing", format(Self.implied(withPair.map(\.wallMBps))), format(Self.implied(withPair.map(\.cpuMBps))), ""))
        }
        Swift.print("")
        let sealRatioWall = sealOne.wallMBps / impliedWall
        let sealRatioCPU = sealOne.cpuMBps / impliedCPU
        let scaling = sealAll.wallMBps / sealOne.wallMBps
        Swift.print("pipeline (1 worker, 1 CPU) / implied: \(format(sealRatioWall, digits: 2)) wall, \(format(sealRatioCPU, digits: 2)) CPU  (target ≥ 0.85)")
        Swift.print("pipeline on one core: \(format(sealOne.wallMBps)) MB/s wall, \(format(sealOne.cpuMBps)) MB/s per CPU second  (target ≥ 400)")
        if let sealingBaseline {
            let sealing = primitives[2]
            Swift.print(
                "AES-256-GCM vector / OpenSSL: \(format(sealing.wallMBps / sealingBaseline.wallMBps, digits: 2)) wall, \(format(sealing.cpuMBps / sealingBaseline.cpuMBps, digits: 2)) CPU")
        }
        if let sealOneUnpaired {
            Swift.print(
                "paired / unpaired hashing, 1 worker on 1 CPU: \(format(sealOne.wallMBps / sealOneUnpaired.wallMBps, digits: 3)) wall, \(format(sealOne.cpuMBps / sealOneUnpaired.cpuMBps, digits: 3)) CPU")
        }
        Swift.print("\(sealAll.name) / \(sealOne.name): \(format(scaling, digits: 2)) wall  (target: nearly 2 with 2 free cores)")
        Swift.print("\(openAll.name) / \(openOne.name): \(format(openAll.wallMBps / openOne.wallMBps, digits: 2)) wall")
    }

    private func row(_ name: String, _ wall: String, _ cpu: String, _ cores: String) -> String {
        name.padding(toLength: 44, withPad: " ", startingAt: 0) + pad(wall, 10) + pad(cpu, 10) + pad(cores, 7)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    private func format(_ value: Double, digits: Int = 0) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return digits == 0 ? String(Int(rounded)) : String(rounded)
    }
}
