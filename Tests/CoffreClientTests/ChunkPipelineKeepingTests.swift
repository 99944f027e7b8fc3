@testable import CoffreClient
import Synchronization
import Testing

/// `ChunkPipeline` with a transform that keeps every chunk back (`ChunkTransform`): each kept
/// chunk is finished exactly once, with the next chunk or alone, chunks still reach the
/// consumer in order, and a failure while a chunk is kept gives every slot back.
@Suite struct ChunkPipelineKeepingTests {
    /// What the transform saw, from every worker thread.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    struct Refused: Error, Equatable { let index: Int }

    /// A pipeline whose service submits `count` chunks, whose transform keeps each chunk back
    /// and writes "finished" into it when it is finished, and which fails at `failAt` in `begin`.
    static func pipeline(workers: Int, journal: Journal, failAt: Int? = nil) -> ChunkPipeline<Int> {
        ChunkPipeline(
            name: "keeping-test", workerCount: workers, slotCapacity: 64,
            makeTransform: {
                ChunkTransform(
                    begin: { slot, kept in
                        if slot.index == failAt { throw Refused(index: slot.index) }
                        if let kept {
                            kept.inputCount = -1
                            journal.add("paired \(kept.index)")
                        }
                    },
                    complete: { _ in true },
                    finishKept: { kept in
                        kept.inputCount = -1
                        journal.add("alone \(kept.index)")
                    })
            },
            makeService: {
                { pipeline, count, run in
                    for _ in 0..<count {
                        guard let slot = pipeline.acquireSlot(for: run) else { break }
                        slot.inputCount = 0
                        pipeline.submit(slot, for: run)
                    }
                    pipeline.finishProducing(run)
                }
            })
    }

    /// Runs `count` chunks through, returning the positions consumed and the run's failure.
    static func run(_ pipeline: ChunkPipeline<Int>, count: Int) async throws -> (consumed: [Int], failure: (any Error)?) {
        let run = try await pipeline.beginRun(count)
        var consumed: [Int] = []
        loop: while true {
            switch await pipeline.next(run, position: consumed.count) {
            case .chunk(let slot):
                // Only finished chunks reach the consumer.
                #expect(slot.inputCount == -1)
                consumed.append(slot.index)
                pipeline.release(slot, for: run)
            case .end, .failed:
                break loop
            }
        }
        return (consumed, await pipeline.endRun(run))
    }

    @Test(arguments: [1, 2])
    func everyKeptChunkIsFinishedOnceAndInOrder(workers: Int) async throws {
        let journal = Journal()
        let pipeline = Self.pipeline(workers: workers, journal: journal)
        defer { pipeline.shutDown() }
        for count in [0, 1, 2, 57] {
            let before = journal.all.count
            let (consumed, failure) = try await withTimeout { try await Self.run(pipeline, count: count) }
            #expect(failure == nil)
            #expect(consumed == Array(0..<count))
            let finished = journal.all[before...].map { Int($0.split(separator: " ")[1])! }
            #expect(finished.sorted() == Array(0..<count))
            #expect(pipeline.freeSlotCount == pipeline.slotCount)
        }
    }

    @Test(arguments: [1, 2])
    func aFailureWhileAChunkIsKeptGivesEverySlotBack(workers: Int) async throws {
        let pipeline = Self.pipeline(workers: workers, journal: Journal(), failAt: 5)
        defer { pipeline.shutDown() }
        let (consumed, failure) = try await withTimeout { try await Self.run(pipeline, count: 40) }
        #expect(failure as? Refused == Refused(index: 5))
        #expect(consumed.count <= 5)
        #expect(pipeline.freeSlotCount == pipeline.slotCount)
    }
}
