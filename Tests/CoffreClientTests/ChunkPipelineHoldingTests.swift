@testable import CoffreClient
import Synchronization
import Testing

/// `ChunkPipeline` with a transform that holds two chunks (`ChunkTransform`), as the paired
/// sealer does: each chunk is finished exactly once, chunks reach the consumer in order, a
/// worker holding a chunk never waits for another (the last chunks of a run still finish), and
/// a failure while chunks are held gives every slot back.
@Suite struct ChunkPipelineHoldingTests {
    /// What the transforms finished, from every worker thread.
    final class Journal: Sendable {
        private let entries = Mutex<[Int]>([])
        func add(_ index: Int) { entries.withLock { $0.append(index) } }
        var all: [Int] { entries.withLock { $0 } }
    }

    struct Refused: Error, Equatable { let index: Int }

    /// A transform that holds up to two chunks and finishes the older one only when it holds
    /// two, or after three steps alone (a lone job hashed slice by slice); `failAt` fails one.
    static func holdingTransform(journal: Journal, failAt: Int?) -> ChunkTransform {
        var held: [ChunkSlot] = []
        var stepsAlone = 0
        return ChunkTransform(
            hasRoom: { held.count < 2 },
            isHolding: { !held.isEmpty },
            take: { held.append($0) },
            advance: {
                if held.count < 2 {
                    stepsAlone += 1
                    guard stepsAlone == 3 else { return [] }
                }
                stepsAlone = 0
                let oldest = held.removeFirst()
                if oldest.index == failAt { return [(oldest, Refused(index: oldest.index))] }
                oldest.inputCount = -1
                journal.add(oldest.index)
                return [(oldest, nil)]
            })
    }

    /// A pipeline whose service submits `count` chunks to holding transforms.
    static func pipeline(workers: Int, journal: Journal, failAt: Int? = nil) -> ChunkPipeline<Int> {
        ChunkPipeline(
            name: "holding-test", workerCount: workers, slotsPerWorker: 3, slotCapacity: 64,
            makeTransform: { holdingTransform(journal: journal, failAt: failAt) },
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
    func everyHeldChunkIsFinishedOnceAndInOrder(workers: Int) async throws {
        let journal = Journal()
        let pipeline = Self.pipeline(workers: workers, journal: journal)
        defer { pipeline.shutDown() }
        for count in [0, 1, 2, 3, 57] {
            let before = journal.all.count
            let (consumed, failure) = try await withTimeout { try await Self.run(pipeline, count: count) }
            #expect(failure == nil)
            #expect(consumed == Array(0..<count))
            #expect(journal.all[before...].sorted() == Array(0..<count))
            #expect(pipeline.freeSlotCount == pipeline.slotCount)
        }
    }

    @Test(arguments: [1, 2])
    func aFailureWhileChunksAreHeldGivesEverySlotBack(workers: Int) async throws {
        let pipeline = Self.pipeline(workers: workers, journal: Journal(), failAt: 5)
        defer { pipeline.shutDown() }
        let (consumed, failure) = try await withTimeout { try await Self.run(pipeline, count: 40) }
        #expect(failure as? Refused == Refused(index: 5))
        #expect(consumed.count <= 5)
        #expect(pipeline.freeSlotCount == pipeline.slotCount)
        // The pipeline serves the next run normally (chunks 0...3, before the refused one).
        let (again, secondFailure) = try await withTimeout { try await Self.run(pipeline, count: 4) }
        #expect(secondFailure == nil)
        #expect(again == [0, 1, 2, 3])
    }
}
