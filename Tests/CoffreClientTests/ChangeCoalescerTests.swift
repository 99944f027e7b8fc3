import Testing
@testable import CoffreClient

@Suite struct ChangeCoalescerTests {
    static let start = ContinuousClock.now

    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    static func coalescer(maximumPaths: Int = 100) -> ChangeCoalescer {
        ChangeCoalescer(quietPeriod: .milliseconds(100), maximumDelay: .milliseconds(1000), maximumPaths: maximumPaths)
    }

    @Test func sendsABatchOnceQuietSortedAndWithoutDuplicates() throws {
        var coalescer = Self.coalescer()
        #expect(coalescer.deadline == nil)
        coalescer.record(try LocalPath("b"), at: Self.at(0))
        coalescer.record(try LocalPath("a"), at: Self.at(50))
        coalescer.record(try LocalPath("b"), at: Self.at(60))
        #expect(coalescer.takeBatch(at: Self.at(120)) == nil)  // 60 ms after the last report
        #expect(coalescer.deadline == Self.at(160))
        #expect(coalescer.takeBatch(at: Self.at(160)) == .changed([try LocalPath("a"), try LocalPath("b")]))
        #expect(coalescer.isEmpty)
        #expect(coalescer.takeBatch(at: Self.at(10_000)) == nil)
    }

    @Test func aContinuousStreamIsFlushedAtTheMaximumDelay() throws {
        var coalescer = Self.coalescer()
        for step in 0..<20 { coalescer.record(try LocalPath("log"), at: Self.at(step * 60)) }
        #expect(coalescer.deadline == Self.at(1000))
        #expect(coalescer.takeBatch(at: Self.at(1000)) == .changed([try LocalPath("log")]))
    }

    @Test func tooManyPathsCollapseIntoARescan() throws {
        var coalescer = Self.coalescer(maximumPaths: 3)
        for index in 0..<4 { coalescer.record(try LocalPath("f\(index)"), at: Self.at(0)) }
        coalescer.record(try LocalPath("later"), at: Self.at(10))
        #expect(coalescer.takeBatch(at: Self.at(500)) == .rescanRequired(.tooManyChanges))
    }

    @Test func rescanReasonsKeepTheMostSevere() throws {
        var coalescer = Self.coalescer()
        coalescer.record(try LocalPath("a"), at: Self.at(0))
        coalescer.recordRescan(.tooManyChanges, at: Self.at(0))
        coalescer.recordRescan(.overflow, at: Self.at(0))
        coalescer.recordRescan(.tooManyChanges, at: Self.at(0))
        #expect(coalescer.takeBatch(at: Self.at(100)) == .rescanRequired(.overflow))
        coalescer.recordRescan(.overflow, at: Self.at(200))
        coalescer.recordRescan(.rootChanged, at: Self.at(200))
        coalescer.recordRescan(.overflow, at: Self.at(200))
        #expect(coalescer.takeBatch(at: Self.at(300)) == .rescanRequired(.rootChanged))
    }
}
