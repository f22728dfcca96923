/// Contiguous groups of rows in a source buffer, read in order as one "gathered" matrix: the
/// rows of group 0, then those of group 1, and so on.
///
/// A ``PairProjector`` describes which tokens a branch sees this way: the patch tokens of each
/// image, the CLS token of each image, every token of each packed text sequence, or one pooled
/// embedding per sample.
struct RowGroups: Sendable {
    /// The source row of each group's first row.
    let starts: [Int]
    /// The number of rows in each group (at least 1).
    let counts: [Int]
    /// The gathered row of each group's first row, with the total row count appended.
    let offsets: [Int]

    /// Groups from source row ranges.
    ///
    /// - Precondition: no range is empty.
    init(_ ranges: [Range<Int>]) {
        var starts: [Int] = []
        var counts: [Int] = []
        var offsets: [Int] = [0]
        starts.reserveCapacity(ranges.count)
        counts.reserveCapacity(ranges.count)
        offsets.reserveCapacity(ranges.count + 1)
        for range in ranges {
            precondition(!range.isEmpty && range.lowerBound >= 0, "RowGroups: empty or negative range \(range)")
            starts.append(range.lowerBound)
            counts.append(range.count)
            offsets.append(offsets[offsets.count - 1] + range.count)
        }
        self.starts = starts
        self.counts = counts
        self.offsets = offsets
    }

    /// `count` groups of `rows` rows each, group g starting at source row `first + g · stride`.
    init(count: Int, rows: Int, first: Int, stride: Int) {
        self.init((0..<count).map { first + $0 * stride ..< first + $0 * stride + rows })
    }

    /// The number of groups.
    var count: Int { counts.count }
    /// The number of gathered rows.
    var totalRows: Int { offsets[offsets.count - 1] }
    /// The last source row any group reads, plus one.
    var sourceEnd: Int { zip(starts, counts).map { $0 + $1 }.max() ?? 0 }
    /// Whether every group holds exactly one row.
    var isSingleRows: Bool { totalRows == count }
}
