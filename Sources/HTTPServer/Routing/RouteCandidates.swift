/// The routes worth trying for a path, by its segment count: a pattern without `{name...}`
/// matches only paths of exactly its segment count, one with it only paths of at least its
/// fixed count. A router of some fifty routes then compares a request with the handful of
/// the right length instead of all of them. Indices stay in the order the routes were added,
/// so the first matching route still wins.
struct RouteCandidates: Sendable {
    /// `byCount[n]`: indices of the routes that can match a path of `n` segments.
    private let byCount: [[Int]]
    /// For paths longer than every fixed pattern: the `{name...}` routes.
    private let longer: [Int]

    init(_ patterns: [HTTPRoutePattern]) {
        let largest = patterns.map(\.fixedSegmentCount).max() ?? 0
        byCount = (0...largest).map { count in
            patterns.indices.filter { index in
                let pattern = patterns[index]
                return pattern.endsWithRemainder ? count >= pattern.fixedSegmentCount : count == pattern.fixedSegmentCount
            }
        }
        longer = patterns.indices.filter { patterns[$0].endsWithRemainder }
    }

    /// Route indices, ascending, that can match a path of `count` segments.
    func routeIndices(forSegmentCount count: Int) -> [Int] {
        count < byCount.count ? byCount[count] : longer
    }
}
