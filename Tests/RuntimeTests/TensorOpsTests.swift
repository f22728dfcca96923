import Foundation
import Runtime
import Testing

/// A small deterministic generator (SplitMix64) so test inputs are reproducible.
private struct SeededGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float uniform in [-1, 1).
    mutating func nextFloat() -> Float {
        Float(next() >> 40) / Float(1 << 23) - 1
    }

    mutating func tensor(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<count).map { _ in nextFloat() })
    }
}

private func maxAbsDifference(_ lhs: [Float], _ rhs: [Float]) -> Float {
    precondition(lhs.count == rhs.count)
    return zip(lhs, rhs).map { abs($0 - $1) }.max() ?? 0
}

/// Element (row, column) of a rank-2 tensor, optionally read as its transpose.
private func element(_ t: Tensor, _ row: Int, _ column: Int, transposed: Bool) -> Float {
    transposed ? t[column, row] : t[row, column]
}

@Suite("Tensor storage")
struct TensorStorageTests {
    @Test("tensor storage and kernel scratch start on a 64-byte cache line")
    func cacheLineAlignment() {
        for count in [0, 1, 5, 384, 100_000] {
            var tensor = Tensor(shape: [count], repeating: 1)
            tensor.withUnsafeMutableBufferPointer { buffer in
                if let base = buffer.baseAddress { #expect(UInt(bitPattern: base) % 64 == 0, "\(count) floats") }
            }
            let copied = Tensor(shape: [count], scalars: [Float](repeating: 2, count: count))
            copied.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { #expect(UInt(bitPattern: base) % 64 == 0, "\(count) floats") }
            }
            let scratch = CacheLineMemory.floats(count)
            #expect(UInt(bitPattern: scratch) % 64 == 0)
            scratch.deallocate()
        }
    }

    @Test("shape, subscripts, reshape and copy-on-write")
    func basics() {
        var a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(a.count == 6 && a.rank == 2 && a.dimension(-1) == 3)
        #expect(a[1, 2] == 6)
        let copy = a
        let view = a.reshaped([3, 2])
        a[0, 0] = 10
        #expect(a[0, 0] == 10)
        #expect(copy[0, 0] == 1 && view[0, 0] == 1)
        #expect(view.shape == [3, 2] && view.scalars == [1, 2, 3, 4, 5, 6])
        #expect(Tensor(shape: [2, 2], repeating: 7).scalars == [7, 7, 7, 7])
        #expect(Tensor([1, 2]) == Tensor(shape: [2], scalars: [1, 2]))
        #expect(Tensor([1, 2]) != Tensor(shape: [1, 2], scalars: [1, 2]))
    }

    @Test("an empty tensor has no elements and still exposes a buffer")
    func empty() {
        var t = Tensor(shape: [0, 4])
        #expect(t.count == 0 && t.scalars.isEmpty)
        t.withUnsafeMutableBufferPointer { #expect($0.isEmpty) }
    }
}

@Suite("GEMM and linear")
struct GEMMTests {
    @Test(
        "matmul matches a naive triple loop for every transpose combination",
        arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(transposeA: Bool, transposeB: Bool) {
        var random = SeededGenerator(seed: 1)
        let (m, n, k) = (7, 5, 11)
        let a = random.tensor(transposeA ? [k, m] : [m, k])
        let b = random.tensor(transposeB ? [n, k] : [k, n])
        let product = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB, alpha: 0.5)
        #expect(product.shape == [m, n])
        for row in 0..<m {
            for column in 0..<n {
                var sum: Float = 0
                for inner in 0..<k {
                    sum += element(a, row, inner, transposed: transposeA)
                        * element(b, inner, column, transposed: transposeB)
                }
                #expect(abs(product[row, column] - 0.5 * sum) < 1e-5)
            }
        }
    }

    @Test("sgemm on a column block with leading dimensions, accumulating with beta")
    func stridedBlock() {
        // A is columns 2..<5 of a 4 × 6 matrix; C starts as ones and keeps 2 × its value.
        var random = SeededGenerator(seed: 2)
        let wide = random.tensor([4, 6])
        let b = random.tensor([3, 2])
        var c = [Float](repeating: 1, count: 4 * 2)
        c.withUnsafeMutableBufferPointer { c in
            BLAS.sgemm(
                m: 4, n: 2, k: 3, a: wide.baseAddress + 2, lda: 6, b: b.baseAddress, ldb: 2,
                beta: 2, c: c.baseAddress!, ldc: 2)
        }
        for row in 0..<4 {
            for column in 0..<2 {
                var expected: Float = 2
                for inner in 0..<3 { expected += wide[row, 2 + inner] * b[inner, column] }
                #expect(abs(c[row * 2 + column] - expected) < 1e-5)
            }
        }
    }

    @Test("linear is x·Wᵀ + b for PyTorch-layout weights, over the last axis")
    func linear() {
        var random = SeededGenerator(seed: 3)
        let x = random.tensor([2, 3, 4])
        let weight = random.tensor([5, 4])
        let bias = random.tensor([5])
        let y = Tensor.linear(x, weight: weight, bias: bias)
        let unbiased = Tensor.linear(x, weight: weight, bias: nil)
        #expect(y.shape == [2, 3, 5])
        for batch in 0..<2 {
            for row in 0..<3 {
                for out in 0..<5 {
                    var sum: Float = 0
                    for inner in 0..<4 { sum += x[batch, row, inner] * weight[out, inner] }
                    #expect(abs(unbiased[batch, row, out] - sum) < 1e-5)
                    #expect(abs(y[batch, row, out] - (sum + bias[out])) < 1e-5)
                }
            }
        }
    }

    @Test("BLAS.linear adds a residual, also in place over the output")
    func linearResidual() {
        var random = SeededGenerator(seed: 4)
        let x = random.tensor([6, 3])
        let weight = random.tensor([2, 3])
        let bias = random.tensor([2])
        let residual = random.tensor([6, 2])
        let expected = Tensor.linear(x, weight: weight, bias: bias) + residual
        var separate = Tensor(shape: [6, 2])
        separate.withUnsafeMutableBufferPointer { output in
            BLAS.linear(
                input: x.baseAddress, rows: 6, inFeatures: 3, weight: weight.baseAddress,
                outFeatures: 2, bias: bias.baseAddress, residual: residual.baseAddress,
                output: output.baseAddress!)
        }
        var inPlace = residual
        inPlace.withUnsafeMutableBufferPointer { output in
            BLAS.linear(
                input: x.baseAddress, rows: 6, inFeatures: 3, weight: weight.baseAddress,
                outFeatures: 2, bias: nil, residual: output.baseAddress!, output: output.baseAddress!)
        }
        #expect(maxAbsDifference(separate.scalars, expected.scalars) < 1e-5)
        #expect(maxAbsDifference(inPlace.scalars, (expected.scalars.indices.map {
            expected.scalars[$0] - bias.scalars[$0 % 2]
        })) < 1e-5)
    }

    @Test("a product with an empty inner dimension is zero")
    func emptyInner() {
        let product = Tensor.matmul(Tensor(shape: [2, 0]), Tensor(shape: [0, 3]))
        #expect(product.scalars == [Float](repeating: 0, count: 6))
    }
}

@Suite("Element-wise and row-wise ops")
struct ElementwiseOpsTests {
    @Test("add and embedding lookup")
    func addAndEmbedding() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], scalars: [10, 20, 30, 40])
        #expect((a + b).scalars == [11, 22, 33, 44])
        var c = a
        c += b
        #expect(c.scalars == [11, 22, 33, 44] && a.scalars == [1, 2, 3, 4])
        let table = Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        let rows = Tensor.embedding(table, ids: [2, 0, 2])
        #expect(rows.shape == [3, 2] && rows.scalars == [20, 21, 0, 1, 20, 21])
    }

    @Test("add splits a large array over threads and still covers every element")
    func largeAdd() {
        let count = 100_003
        let a = Tensor((0..<count).map(Float.init))
        let sum = a + a
        #expect(sum.scalars == (0..<count).map { Float($0) * 2 })
    }

    /// (x, exact erf GELU, tanh GELU), from the closed forms in double precision.
    static let geluPoints: [(Float, Float, Float)] = [
        (-3, -0.004_049_694_094_890_31, -0.003_637_392_081_772_994_3),
        (-1, -0.158_655_253_931_457_07, -0.158_808_009_391_723_24),
        (-0.5, -0.154_268_769_362_993_44, -0.154_285_990_174_856_06),
        (0, 0, 0),
        (0.5, 0.345_731_230_637_006_56, 0.345_714_009_825_143_94),
        (1, 0.841_344_746_068_542_9, 0.841_191_990_608_276_8),
        (2, 1.954_499_736_103_641_6, 1.954_597_694_087_775),
        (3, 2.995_950_305_905_11, 2.996_362_607_918_227),
    ]

    @Test("GELU, exact and tanh forms, at known points")
    func gelu() {
        let x = Tensor(Self.geluPoints.map(\.0))
        let exact = x.gelu(.exact).scalars
        let tanh = x.gelu(.tanh).scalars
        for (index, point) in Self.geluPoints.enumerated() {
            #expect(abs(exact[index] - point.1) < 1e-6, "exact GELU(\(point.0))")
            #expect(abs(tanh[index] - point.2) < 1e-6, "tanh GELU(\(point.0))")
        }
        // The two forms really differ, so the wrong one would be caught.
        #expect(abs(exact[0] - tanh[0]) > 1e-4)
    }

    @Test("GELU stays within 1e-6 of the double-precision formulas across [-10, 10]")
    func geluSweep() {
        let points = (-1000...1000).map { Float($0) / 100 }
        let exact = Tensor(points).gelu(.exact).scalars
        let tanh = Tensor(points).gelu(.tanh).scalars
        var worstExact: Double = 0
        var worstTanh: Double = 0
        for (index, point) in points.enumerated() {
            let x = Double(point)
            let expectedExact = 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
            let expectedTanh = 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
            let scale = max(1, abs(x))
            worstExact = max(worstExact, abs(Double(exact[index]) - expectedExact) / scale)
            worstTanh = max(worstTanh, abs(Double(tanh[index]) - expectedTanh) / scale)
        }
        #expect(worstExact < 1e-6)
        #expect(worstTanh < 1e-6)
        // CLIP's quick_gelu, x · σ(1.702 x).
        let quick = Tensor(points).gelu(.quick).scalars
        let worstQuick = zip(points, quick).map { point, value in
            let x = Double(point)
            return abs(Double(value) - x / (1 + Foundation.exp(-1.702 * x))) / max(1, abs(x))
        }.max() ?? .nan
        #expect(worstQuick < 1e-6)
    }

    @Test("softmax matches double precision on wide rows of mixed magnitudes")
    func softmaxSweep() {
        var random = SeededGenerator(seed: 9)
        let width = 37
        let x = Tensor(shape: [5, width], scalars: (0..<(5 * width)).map { _ in random.nextFloat() * 40 })
        let y = x.softmax()
        for row in 0..<5 {
            let values = (0..<width).map { Double(x[row, $0]) }
            let top = values.max()!
            let exponentials = values.map { Foundation.exp($0 - top) }
            let total = exponentials.reduce(0, +)
            for column in 0..<width {
                #expect(abs(Double(y[row, column]) - exponentials[column] / total) < 1e-6)
            }
        }
    }

    @Test("softmax rows sum to 1, match the closed form and stay finite for large inputs")
    func softmax() {
        let x = Tensor(shape: [3, 3], scalars: [0, 1, 2, 1000, 1001, 1002, -1e30, 0, 88])
        let y = x.softmax()
        for row in 0..<3 {
            let sum = (0..<3).map { y[row, $0] }.reduce(0, +)
            #expect(abs(sum - 1) < 1e-6)
            for column in 0..<3 { #expect(y[row, column].isFinite) }
        }
        let exponentials: [Double] = [1, exp(1.0), exp(2.0)]
        let total = exponentials.reduce(0, +)
        let e = exponentials.map { Float($0 / total) }
        for column in 0..<3 {
            #expect(abs(y[0, column] - e[column]) < 1e-6)
            #expect(abs(y[1, column] - e[column]) < 1e-6)
        }
        #expect(y[2, 0] == 0 && abs(y[2, 2] - 1) < 1e-6)
    }

    @Test("softmax gives masked (−∞) entries no weight and a fully masked row equal weights")
    func softmaxMasked() {
        var row: [Float] = [1, -.infinity, 1, -.infinity, -.infinity, -.infinity]
        row.withUnsafeMutableBufferPointer {
            TensorKernels.softmaxRows($0.baseAddress!, rows: 2, columns: 3, stride: 3)
        }
        #expect(row[0] == 0.5 && row[1] == 0 && row[2] == 0.5)
        #expect(row[3...].allSatisfy { abs($0 - 1.0 / 3) < 1e-7 })
    }

    @Test("LayerNorm matches the hand-computed value with the biased variance")
    func layerNorm() {
        let x = Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, -2, 0, 2, 4])
        let weight = Tensor([1, 2, 0.5, 1])
        let bias = Tensor([0, 0, 1, -1])
        let epsilon: Float = 1e-5
        let y = x.layerNorm(weight: weight, bias: bias, epsilon: epsilon)
        // Row 0: mean 2.5, variance 1.25. Row 1: mean 1, variance 5.
        let rows: [([Float], Float, Float)] = [([1, 2, 3, 4], 2.5, 1.25), ([-2, 0, 2, 4], 1, 5)]
        for (index, (values, mean, variance)) in rows.enumerated() {
            for column in 0..<4 {
                let expected = (values[column] - mean) / (variance + epsilon).squareRoot()
                    * weight[column] + bias[column]
                #expect(abs(y[index, column] - expected) < 1e-5)
            }
        }
    }

    @Test("LayerNorm of a constant row is the bias, thanks to epsilon")
    func layerNormConstant() {
        let y = Tensor([3, 3, 3]).layerNorm(weight: Tensor([1, 1, 1]), bias: Tensor([1, 2, 3]), epsilon: 1e-12)
        #expect(y.scalars == [1, 2, 3])
    }

    @Test("L2 normalisation of rows; a zero row stays zero")
    func l2() {
        let y = Tensor(shape: [2, 2], scalars: [3, 4, 0, 0]).l2Normalized()
        #expect(abs(y[0, 0] - 0.6) < 1e-7 && abs(y[0, 1] - 0.8) < 1e-7)
        #expect(y[1, 0] == 0 && y[1, 1] == 0)
    }
}

@Suite("Pooling")
struct PoolingOpsTests {
    @Test("masked mean pooling averages only real tokens")
    func meanPooling() {
        // Item 0: tokens [1,2], [3,4], padding [100,100]. Item 1: [5,6] then two pads.
        let states = Tensor(shape: [2, 3, 2], scalars: [1, 2, 3, 4, 100, 100, 5, 6, 100, 100, 100, 100])
        let pooled = states.meanPooled(mask: [1, 1, 0, 1, 0, 0])
        #expect(pooled.shape == [2, 2] && pooled.scalars == [2, 3, 5, 6])
        let none = states.meanPooled(mask: [0, 0, 0, 1, 1, 1])
        #expect(none.scalars[0...1] == [0, 0])
    }

    @Test("CLS pooling takes the first token")
    func clsPooling() {
        let states = Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(states.clsPooled().scalars == [1, 2, 5, 6])
    }
}

@Suite("Attention")
struct AttentionOpsTests {
    /// softmax(QKᵀ/√dₕ)·V for one item and head, with naive loops.
    private static func naive(
        _ q: Tensor, _ k: Tensor, _ v: Tensor, item: Int, head: Int, headWidth: Int,
        keys: [Int], query: Int
    ) -> [Float] {
        let base = head * headWidth
        let scores = keys.map { key in
            (0..<headWidth).map { q[item, query, base + $0] * k[item, key, base + $0] }.reduce(0, +)
                / Float(headWidth).squareRoot()
        }
        let top = scores.max()!
        let weights = scores.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        return (0..<headWidth).map { column in
            zip(keys, weights).map { v[item, $0, base + column] * $1 }.reduce(0, +) / total
        }
    }

    @Test("padded scaled dot-product attention matches naive loops and ignores masked keys")
    func padded() {
        var random = SeededGenerator(seed: 5)
        let (batch, length, heads, headWidth) = (2, 4, 2, 3)
        let shape = [batch, length, heads * headWidth]
        let (q, k, v) = (random.tensor(shape), random.tensor(shape), random.tensor(shape))
        let mask: [UInt8] = [1, 1, 1, 0, 1, 1, 0, 0]
        let out = Tensor.scaledDotProductAttention(query: q, key: k, value: v, heads: heads, mask: mask)
        for item in 0..<batch {
            let keys = (0..<length).filter { mask[item * length + $0] != 0 }
            for query in 0..<length {
                for head in 0..<heads {
                    let expected = Self.naive(q, k, v, item: item, head: head, headWidth: headWidth, keys: keys, query: query)
                    for column in 0..<headWidth {
                        #expect(abs(out[item, query, head * headWidth + column] - expected[column]) < 1e-5)
                    }
                }
            }
        }
    }

    @Test("packed attention over variable-length sequences equals padded attention on real rows")
    func packed() {
        var random = SeededGenerator(seed: 6)
        let lengths = [3, 1, 70, 5]
        let (heads, headWidth) = (3, 4)
        let width = heads * headWidth
        let rows = lengths.reduce(0, +)
        let qkv = random.tensor([rows, 3 * width])
        var ranges: [Range<Int>] = []
        var start = 0
        for length in lengths {
            ranges.append(start..<start + length)
            start += length
        }
        // Threshold 0: every sequence through sgemm; 1000: every sequence through the direct
        // kernel; 4: a mix.
        let variants = [0, 1000, 4].map { threshold in
            var packed = Tensor(shape: [rows, width])
            packed.withUnsafeMutableBufferPointer { output in
                PackedAttention(heads: heads, headWidth: headWidth, gemmThreshold: threshold)(
                    query: qkv.baseAddress, key: qkv.baseAddress + width, value: qkv.baseAddress + 2 * width,
                    stride: 3 * width, sequences: ranges, output: output.baseAddress!)
            }
            return packed
        }
        // The same batch padded to [B, Lmax, D] with a mask.
        let longest = lengths.max()!
        var parts = [[Float]](repeating: [Float](repeating: 0, count: lengths.count * longest * width), count: 3)
        var mask = [UInt8](repeating: 0, count: lengths.count * longest)
        for (item, range) in ranges.enumerated() {
            for (position, row) in range.enumerated() {
                mask[item * longest + position] = 1
                for part in 0..<3 {
                    for column in 0..<width {
                        parts[part][(item * longest + position) * width + column] = qkv[row, part * width + column]
                    }
                }
            }
        }
        let shape = [lengths.count, longest, width]
        let padded = Tensor.scaledDotProductAttention(
            query: Tensor(shape: shape, scalars: parts[0]), key: Tensor(shape: shape, scalars: parts[1]),
            value: Tensor(shape: shape, scalars: parts[2]), heads: heads, mask: mask)
        for (variant, packed) in zip([0, 1000, 4], variants) {
            var worst: Float = 0
            for (item, range) in ranges.enumerated() {
                for (position, row) in range.enumerated() {
                    for column in 0..<width {
                        worst = max(worst, abs(packed[row, column] - padded[item, position, column]))
                    }
                }
            }
            #expect(worst < 1e-5, "gemmThreshold \(variant)")
        }
    }

    @Test("the direct kernel handles head widths that are not a multiple of 8")
    func oddHeadWidth() {
        var random = SeededGenerator(seed: 7)
        let (heads, headWidth, length) = (2, 11, 9)
        let width = heads * headWidth
        let qkv = random.tensor([length, 3 * width])
        var packed = Tensor(shape: [length, width])
        packed.withUnsafeMutableBufferPointer { output in
            PackedAttention(heads: heads, headWidth: headWidth)(
                query: qkv.baseAddress, key: qkv.baseAddress + width, value: qkv.baseAddress + 2 * width,
                stride: 3 * width, sequences: [0..<length], output: output.baseAddress!)
        }
        let parts = (0..<3).map { part in
            Tensor(shape: [1, length, width], scalars: (0..<length).flatMap { row in
                (0..<width).map { qkv[row, part * width + $0] }
            })
        }
        let padded = Tensor.scaledDotProductAttention(query: parts[0], key: parts[1], value: parts[2], heads: heads)
        #expect(maxAbsDifference(packed.scalars, padded.scalars) < 1e-5)
    }
}

@Suite("Compute threads")
struct ComputeThreadsTests {
    @Test("OpenBLAS runs kernels that match the CPU, not the SSE3 fallback")
    func blasCore() throws {
        _ = Tensor.matmul(Tensor(shape: [2, 2], repeating: 1), Tensor(shape: [2, 2], repeating: 1))
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?
            .split(separator: " ").map(String.init) ?? []
        let overridden = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil
        if !overridden && flags.contains("avx2") && flags.contains("fma") {
            #expect(BLASCore.name.lowercased() != "prescott", "OpenBLAS core: \(BLASCore.name)")
        }
        #expect(BLASCore.prepare() == BLASCore.name)
    }

    @Test("parallel rows cover every index once; single-threaded BLAS restores the count")
    func threads() {
        let before = ComputeThreads.count
        #expect(before >= 1)
        let seen = ComputeThreads.withSingleThreadedBLAS {
            ComputeThreads.withSingleThreadedBLAS { BLASInfo.threads }
        }
        #expect(seen == 1)
        #expect(ComputeThreads.count == before)
        var hits = [UInt8](repeating: 0, count: 50_000)
        hits.withUnsafeMutableBufferPointer { hits in
            let base = hits.baseAddress!
            ParallelRows.forEach(count: 50_000, costPerRow: 4) { range in
                for index in range { base[index] += 1 }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }
}
