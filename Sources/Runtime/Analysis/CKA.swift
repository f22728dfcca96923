import COpenBLAS
import Foundation

/// The kernel CKA compares feature sets with.
public enum CKAKernel: String, Sendable, CaseIterable {
    /// k(x, y) = x · y.
    case linear
    /// k(x, y) = exp(−‖x − y‖² / (2σ²)), σ from the median pairwise distance (see ``CKA``).
    case rbf
}

/// Centred kernel alignment (Kornblith et al. 2019) between two feature sets of the same samples.
///
/// With K and L the n×n kernel matrices of X `[n, dx]` and Y `[n, dy]` and H = I − 11ᵀ/n,
/// HSIC(K, L) = tr(KHLH) / (n − 1)² and CKA = HSIC(K, L) / √(HSIC(K, K) · HSIC(L, L)); the
/// (n − 1)² factors cancel, so they are left out.
///
/// - Linear: K = XXᵀ. With X̃ = HX (columns centred), tr(KHLH) = ‖Ỹᵀ X̃‖²_F, so no n×n matrix
///   is formed: one `[dx, dy]` GEMM per pair and one per feature set, all in Double.
/// - RBF: K_ij = exp(−‖x_i − x_j‖² / (2σ²)), where σ is the median of the non-zero pairwise
///   Euclidean distances ‖x_i − x_j‖ over unordered pairs i < j of that feature set (the mean of
///   the two middle values when their count is even, as `numpy.median`); rows identical to each
///   other (distance exactly 0) are left out of the median. Each feature set gets its own σ.
///   tr(KHLH) = ⟨HKH, HLH⟩_F over the stored centred n×n kernels (Double, 8n² bytes each).
///
/// Inputs are used as given: no L2 normalisation.
public enum CKA {
    /// A CKA value with the bandwidths used (nil for the linear kernel).
    public struct Result: Sendable, Equatable {
        /// The CKA, in [0, 1] up to rounding.
        public var score: Double
        /// σ of the first feature set (RBF only).
        public var bandwidthX: Double?
        /// σ of the second feature set (RBF only).
        public var bandwidthY: Double?

        /// Gathers a result.
        public init(score: Double, bandwidthX: Double? = nil, bandwidthY: Double? = nil) {
            self.score = score
            self.bandwidthX = bandwidthX
            self.bandwidthY = bandwidthY
        }
    }

    /// CKA between `x` and `y` (rows are samples, in the same order).
    ///
    /// - Parameter names: How errors name the two inputs.
    /// - Throws: ``CKAError`` for fewer than two samples, different sample counts, NaN or
    ///   infinite values (naming the input, row and column), or a constant feature set.
    public static func compute(
        _ x: EmbeddingMatrix, _ y: EmbeddingMatrix, kernel: CKAKernel, names: (x: String, y: String) = ("X", "Y")
    ) throws(CKAError) -> Result {
        guard x.rows >= 2 else { throw CKAError(.tooFewSamples(input: names.x, count: x.rows)) }
        guard y.rows >= 2 else { throw CKAError(.tooFewSamples(input: names.y, count: y.rows)) }
        guard x.rows == y.rows else {
            throw CKAError(.countMismatch(first: names.x, firstCount: x.rows, second: names.y, secondCount: y.rows))
        }
        let first = try CKAFeatures(x, name: names.x, kernel: kernel)
        let second = try CKAFeatures(y, name: names.y, kernel: kernel)
        return Result(score: try score(first, second), bandwidthX: first.bandwidth, bandwidthY: second.bandwidth)
    }

    /// CKA between two prepared feature sets (prepare each once to compare it with many).
    ///
    /// - Precondition: Both were prepared for the same kernel.
    /// - Throws: ``CKAError/Reason/countMismatch(first:firstCount:second:secondCount:)``.
    public static func score(_ x: CKAFeatures, _ y: CKAFeatures) throws(CKAError) -> Double {
        precondition(x.kernel == y.kernel, "CKA: features prepared for \(x.kernel) and \(y.kernel) kernels")
        guard x.samples == y.samples else {
            throw CKAError(.countMismatch(first: x.name, firstCount: x.samples, second: y.name, secondCount: y.samples))
        }
        let cross: Double
        switch x.kernel {
        case .linear:
            cross = crossProductNorm(x.values, width: x.width, y.values, width: y.width, rows: x.samples)
        case .rbf:
            cross = x.values.withUnsafeBufferPointer { a in
                y.values.withUnsafeBufferPointer { b in dot(a.baseAddress!, b.baseAddress!, count: a.count) }
            }
        }
        return cross / (x.selfProduct.squareRoot() * y.selfProduct.squareRoot())
    }

    /// The median of the non-zero pairwise Euclidean distances between rows (pairs i < j), the
    /// RBF bandwidth σ; nil when every row is the same.
    ///
    /// - Throws: ``CKAError`` for fewer than two rows or a value that is not finite.
    public static func medianDistance(_ x: EmbeddingMatrix, name: String = "X") throws(CKAError) -> Double? {
        try CKAFeatures.check(x, name: name)
        if CKAFeatures.isConstant(x) { return nil }
        var distances = squaredDistances(centred(x), rows: x.rows, width: x.width).distances
        return median(&distances)
    }

    // MARK: - Kernels

    /// Column-centred copy of `x` in Double, `[rows, width]` row-major.
    static func centred(_ x: EmbeddingMatrix) -> [Double] {
        let rows = x.rows
        let width = x.width
        var means = [Double](repeating: 0, count: width)
        x.values.withUnsafeBufferPointer { values in
            for row in 0..<rows {
                let line = values.baseAddress! + row * width
                for column in 0..<width { means[column] += Double(line[column]) }
            }
        }
        for column in 0..<width { means[column] /= Double(rows) }
        var result = [Double](repeating: 0, count: rows * width)
        result.withUnsafeMutableBufferPointer { out in
            x.values.withUnsafeBufferPointer { values in
                for row in 0..<rows {
                    for column in 0..<width {
                        out[row * width + column] = Double(values[row * width + column]) - means[column]
                    }
                }
            }
        }
        return result
    }

    /// ‖Aᵀ B‖²_F for A `[rows, widthA]` and B `[rows, widthB]` (one DGEMM).
    static func crossProductNorm(_ a: [Double], width widthA: Int, _ b: [Double], width widthB: Int, rows: Int) -> Double {
        guard widthA > 0, widthB > 0 else { return 0 }
        BLASCore.ensurePrepared()
        var product = [Double](repeating: 0, count: widthA * widthB)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                product.withUnsafeMutableBufferPointer { c in
                    cblas_dgemm(
                        CblasRowMajor, CblasTrans, CblasNoTrans,
                        blasint(widthA), blasint(widthB), blasint(rows),
                        1, a.baseAddress!, blasint(widthA), b.baseAddress!, blasint(widthB),
                        0, c.baseAddress!, blasint(widthB))
                }
            }
        }
        return product.withUnsafeBufferPointer { p in dot(p.baseAddress!, p.baseAddress!, count: p.count) }
    }

    /// The pairwise squared distances of the rows of centred `x`, written into the upper
    /// triangle of an n×n matrix (diagonal 0), and the non-zero distances (not squared) of the
    /// pairs i < j.
    ///
    /// Distances come from the Gram matrix (‖a‖² + ‖b‖² − 2a·b, one DSYRK); where that
    /// cancels badly (under 10⁻⁶ of ‖a‖² + ‖b‖²) the difference is summed directly, so rows
    /// that are identical get exactly 0.
    static func squaredDistances(_ x: [Double], rows n: Int, width d: Int) -> (matrix: [Double], distances: [Double]) {
        var matrix = [Double](repeating: 0, count: n * n)
        var distances: [Double] = []
        distances.reserveCapacity(n * (n - 1) / 2)
        BLASCore.ensurePrepared()
        x.withUnsafeBufferPointer { x in
            matrix.withUnsafeMutableBufferPointer { g in
                let base = x.baseAddress!
                let gram = g.baseAddress!
                if d > 0 {
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(n), blasint(d), 1, base, blasint(d), 0, gram, blasint(n))
                }
                let diagonal = (0..<n).map { gram[$0 * n + $0] }
                for i in 0..<n {
                    gram[i * n + i] = 0
                    for j in (i + 1)..<n {
                        var squared = diagonal[i] + diagonal[j] - 2 * gram[i * n + j]
                        if squared <= 1e-6 * (diagonal[i] + diagonal[j]) {
                            squared = 0
                            let a = base + i * d
                            let b = base + j * d
                            for column in 0..<d {
                                let difference = a[column] - b[column]
                                squared += difference * difference
                            }
                        }
                        squared = max(squared, 0)
                        gram[i * n + j] = squared
                        if squared > 0 { distances.append(squared.squareRoot()) }
                    }
                }
            }
        }
        return (matrix, distances)
    }

    /// The centred RBF kernel matrix HKH `[n, n]` of centred `x` and its bandwidth σ, or nil
    /// when every distance is 0.
    static func centredRBFKernel(_ x: [Double], rows n: Int, width d: Int) -> (kernel: [Double], bandwidth: Double)? {
        var (matrix, distances) = squaredDistances(x, rows: n, width: d)
        guard let sigma = median(&distances), sigma > 0 else { return nil }
        distances = []
        let scale = -1 / (2 * sigma * sigma)
        var rowMeans = [Double](repeating: 0, count: n)
        matrix.withUnsafeMutableBufferPointer { k in
            for i in 0..<n {
                k[i * n + i] = 1
                for j in (i + 1)..<n {
                    let value = exp(k[i * n + j] * scale)
                    k[i * n + j] = value
                    k[j * n + i] = value
                }
            }
            for i in 0..<n {
                var sum: Double = 0
                for j in 0..<n { sum += k[i * n + j] }
                rowMeans[i] = sum / Double(n)
            }
            let total = rowMeans.reduce(0, +) / Double(n)
            // K is symmetric, so its column means are its row means.
            for i in 0..<n {
                for j in 0..<n { k[i * n + j] += total - rowMeans[i] - rowMeans[j] }
            }
        }
        return (matrix, sigma)
    }

    /// The median of `values` (the mean of the two middle values for an even count), found by
    /// selection in place; nil when empty.
    static func median(_ values: inout [Double]) -> Double? {
        let count = values.count
        guard count > 0 else { return nil }
        let k = count / 2
        values.withUnsafeMutableBufferPointer { a in
            var low = 0
            var high = count - 1
            while low < high {
                let middle = low + (high - low) / 2
                let pivot = medianOfThree(a[low], a[middle], a[high])
                var i = low
                var j = high
                while i <= j {
                    while a[i] < pivot { i += 1 }
                    while a[j] > pivot { j -= 1 }
                    if i <= j {
                        a.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if k <= j {
                    high = j
                } else if k >= i {
                    low = i
                } else {
                    break
                }
            }
        }
        // Everything before position k is now ≤ values[k].
        if count % 2 == 1 { return values[k] }
        var lower = values[0]
        for index in 1..<k { lower = max(lower, values[index]) }
        return (lower + values[k]) / 2
    }

    private static func medianOfThree(_ a: Double, _ b: Double, _ c: Double) -> Double {
        max(min(a, b), min(max(a, b), c))
    }

    /// Σ a_i b_i in Double (DDOT in chunks that fit its 32-bit count).
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int) -> Double {
        BLASCore.ensurePrepared()
        var sum: Double = 0
        let chunk = 1 << 30
        var start = 0
        while start < count {
            let length = min(chunk, count - start)
            sum += cblas_ddot(blasint(length), a + start, 1, b + start, 1)
            start += length
        }
        return sum
    }
}

/// One feature set prepared for CKA with a kernel: checked, centred and reduced to what every
/// comparison needs, so comparing it with many others repeats none of that work.
public struct CKAFeatures: Sendable {
    /// How errors name this input.
    public let name: String
    /// The kernel it was prepared for.
    public let kernel: CKAKernel
    /// The number of samples (rows).
    public let samples: Int
    /// The feature width.
    public let width: Int
    /// σ of the RBF kernel (nil for linear).
    public let bandwidth: Double?
    /// Linear: the column-centred features `[samples, width]`; RBF: the centred kernel matrix
    /// HKH `[samples, samples]`.
    let values: [Double]
    /// (n − 1)² · HSIC(K, K): ‖X̃ᵀX̃‖²_F (linear) or ‖HKH‖²_F (RBF).
    let selfProduct: Double

    /// Prepares `matrix` (rows are samples) for `kernel`.
    ///
    /// - Throws: ``CKAError`` for fewer than two rows, a value that is not finite (naming
    ///   `name`, the row and the column, from 0), or rows that are all the same.
    public init(_ matrix: EmbeddingMatrix, name: String, kernel: CKAKernel) throws(CKAError) {
        try Self.check(matrix, name: name)
        if Self.isConstant(matrix) { throw CKAError(.constant(input: name)) }
        self.name = name
        self.kernel = kernel
        self.samples = matrix.rows
        self.width = matrix.width
        let centred = CKA.centred(matrix)
        switch kernel {
        case .linear:
            values = centred
            bandwidth = nil
            selfProduct = CKA.crossProductNorm(centred, width: matrix.width, centred, width: matrix.width, rows: matrix.rows)
        case .rbf:
            guard let prepared = CKA.centredRBFKernel(centred, rows: matrix.rows, width: matrix.width) else {
                throw CKAError(.constant(input: name))
            }
            values = prepared.kernel
            bandwidth = prepared.bandwidth
            selfProduct = prepared.kernel.withUnsafeBufferPointer { k in CKA.dot(k.baseAddress!, k.baseAddress!, count: k.count) }
        }
        guard selfProduct > 0, selfProduct.isFinite else { throw CKAError(.constant(input: name)) }
    }

    /// At least two rows, every value finite.
    static func check(_ matrix: EmbeddingMatrix, name: String) throws(CKAError) {
        guard matrix.rows >= 2 else { throw CKAError(.tooFewSamples(input: name, count: matrix.rows)) }
        if let bad = matrix.values.firstIndex(where: { !$0.isFinite }) {
            throw CKAError(.nonFinite(input: name, row: bad / matrix.width, column: bad % matrix.width, value: matrix.values[bad]))
        }
    }

    /// Whether every row equals the first.
    static func isConstant(_ matrix: EmbeddingMatrix) -> Bool {
        let width = matrix.width
        return matrix.values.withUnsafeBufferPointer { values in
            for row in 1..<matrix.rows {
                for column in 0..<width where values[row * width + column] != values[column] { return false }
            }
            return true
        }
    }
}
