import CVectorKernels
import Foundation
import Runtime
import Testing

/// Every instruction-set copy of the C kernels (16, 8 and 4 lanes, those this CPU runs) against
/// double-precision references, on widths that leave a partial vector at the end of each row.
@Suite("C vector kernels, every instruction set")
struct VectorKernelTableTests {
    static let lanes: [Int32] = [16, 8, 4]

    /// The copies this CPU can run; the 4-lane baseline always.
    static func tables() -> [zoo_vector_kernel_table] {
        lanes.compactMap { zoo_vector_kernels_with_lanes($0)?.pointee }
    }

    /// Reproducible values in [-scale, scale).
    static func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 23) - 1) * scale
        }
    }

    @Test("the baseline copy exists and the active copy is one this CPU runs")
    func availability() {
        #expect(zoo_vector_kernels_with_lanes(4) != nil)
        #expect(zoo_vector_kernels_with_lanes(5) == nil)
        #expect(zoo_vector_kernels_with_lanes(Int32(zoo_vector_kernels_lanes())) != nil)
    }

    @Test("GELU far from zero: 0 for large negative inputs, the input itself for large positive ones", arguments: [0, 1, 2] as [Int32])
    func geluTails(form: Int32) {
        let input: [Float] = [-1e30, -300, -60, -20, -9, 9, 20, 60, 300, 1e30, -0.0, 0, 1e-30, -1e-30, 3, -3]
        for table in Self.tables() {
            var output = input
            table.bias_gelu_rows(&output, 1, input.count, nil, form)
            for (x, y) in zip(input, output) {
                let value = Double(x)
                let formula: Double = switch form {
                case 0: 0.5 * value * (1 + erf(value / 2.0.squareRoot()))
                case 1: 0.5 * value * (1 + tanh((2 / Double.pi).squareRoot() * (value + 0.044715 * value * value * value)))
                default: value / (1 + exp(-1.702 * value))
                }
                // quick_gelu approaches its tails more slowly: e^(−1.702·9) is 2·10⁻⁷.
                let tail: Float = form == 2 ? 12 : 8
                let expected: Float = x > tail ? x : (x < -tail ? 0 : Float(formula))
                #expect(y.isFinite && abs(y - expected) <= 1e-6 * max(1, abs(x)), "lanes \(table.lanes) form \(form): GELU(\(x)) = \(y)")
            }
        }
    }

    @Test("bias + GELU, exact and tanh forms, within 1e-6 of double precision", arguments: [0, 1] as [Int32])
    func biasGELU(form: Int32) {
        let rows = 3, width = 37
        let input = Self.values(rows * width, seed: 1, scale: 6)
        let bias = Self.values(width, seed: 2)
        for table in Self.tables() {
            var output = input
            table.bias_gelu_rows(&output, rows, width, bias, form)
            for index in 0..<(rows * width) {
                let x = Double(input[index] + bias[index % width])
                let expected = form == 0
                    ? 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
                    : 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
                #expect(abs(Double(output[index]) - expected) <= 1e-6 * max(1, abs(x)), "lanes \(table.lanes) at \(index)")
            }
            // Without a bias: one long row.
            var unbiased = input
            table.bias_gelu_rows(&unbiased, 1, rows * width, nil, form)
            for index in [0, 16, 36, rows * width - 1] {
                let x = Double(input[index])
                let expected = form == 0
                    ? 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
                    : 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
                #expect(abs(Double(unbiased[index]) - expected) <= 1e-6 * max(1, abs(x)), "lanes \(table.lanes), no bias")
            }
        }
    }

    @Test("softmax rows with a stride, masked entries and a fully masked row")
    func softmax() {
        let rows = 3, columns = 19, stride = 32
        let input = Self.values(rows * stride, seed: 3, scale: 20)
        for table in Self.tables() {
            var values = input
            values[1] = -.infinity
            for column in 0..<columns { values[2 * stride + column] = -.infinity }
            let before = values
            table.softmax_rows(&values, rows, columns, stride)
            for row in 0..<2 {
                let line = (0..<columns).map { Double(before[row * stride + $0]) }
                let top = line.max()!
                let total = line.map { exp($0 - top) }.reduce(0, +)
                for column in 0..<columns {
                    let expected = exp(line[column] - top) / total
                    #expect(abs(Double(values[row * stride + column]) - expected) <= 1e-6, "lanes \(table.lanes)")
                }
                #expect(values[row * stride + columns] == before[row * stride + columns], "padding untouched")
            }
            #expect(values[1] == 0)
            #expect((0..<columns).allSatisfy { values[2 * stride + $0] == 1 / Float(columns) })
        }
    }

    @Test("2^(x − max) row with its sum")
    func exp2Row() {
        let count = 257
        let input = Self.values(count, seed: 4, scale: 30)
        for table in Self.tables() {
            var line = input
            let sum = table.exp2_row(&line, count)
            let top = input.max()!
            var expectedSum = 0.0
            for index in 0..<count {
                // The kernel subtracts in Float; the reference takes that rounded difference.
                let expected = pow(2, Double(input[index] - top))
                expectedSum += expected
                #expect(abs(Double(line[index]) - expected) <= 3e-7 * expected + 1e-37, "lanes \(table.lanes)")
            }
            #expect(abs(Double(sum) - expectedSum) <= 1e-6 * expectedSum)
        }
    }

    @Test("LayerNorm in place, and into another buffer while adding to the input")
    func layerNorm() {
        let rows = 4, width = 45
        let input = Self.values(rows * width, seed: 5, scale: 3).enumerated().map { $0.element + Float($0.offset % 7) }
        let weight = Self.values(width, seed: 6), bias = Self.values(width, seed: 7), addend = Self.values(width, seed: 8)
        var expected = [Double](repeating: 0, count: rows * width)
        for row in 0..<rows {
            let line = (0..<width).map { Double(input[row * width + $0]) }
            let mean = line.reduce(0, +) / Double(width)
            let variance = line.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for column in 0..<width {
                expected[row * width + column] = (line[column] - mean) / (variance + 1e-5).squareRoot()
                    * Double(weight[column]) + Double(bias[column])
            }
        }
        for table in Self.tables() {
            var inPlace = input
            inPlace.withUnsafeMutableBufferPointer { buffer in
                table.layer_norm_rows(buffer.baseAddress, rows, width, weight, bias, 1e-5, buffer.baseAddress, nil)
            }
            var hidden = input
            var output = [Float](repeating: 0, count: rows * width)
            table.layer_norm_rows(&hidden, rows, width, weight, bias, 1e-5, &output, addend)
            for index in 0..<(rows * width) {
                #expect(abs(Double(inPlace[index]) - expected[index]) <= 1e-5, "lanes \(table.lanes)")
                #expect(output[index] == inPlace[index])
                #expect(hidden[index] == input[index] + addend[index % width])
            }
        }
    }

    @Test("a linear layer after LayerNorm, from per-part tables, equals W·LayerNorm(a + b) + bias")
    func normalizedProjection() {
        // Rows pair one of 3 "words" a with one of 4 "positions" b; widths leave partial vectors.
        let width = 45, outWidth = 37, rows = 9
        let words = Self.values(3 * width, seed: 31, scale: 2), places = Self.values(4 * width, seed: 32)
        let weight = Self.values(outWidth * width, seed: 33), bias = Self.values(outWidth, seed: 34)
        let gamma = Self.values(width, seed: 35).map { $0 + 1.5 }, beta = Self.values(width, seed: 36)
        let wordOfRow: [Int32] = [0, 1, 2, 0, 0, 2, 1, 1, 0], placeOfRow: [Int32] = [0, 1, 2, 3, 1, 0, 3, 2, 2]
        let epsilon: Float = 1e-12
        // The parts, in single precision as the model makes them.
        func scaledProduct(_ vector: ArraySlice<Float>) -> [Float] {
            (0..<outWidth).map { o in zip(vector, 0..<width).reduce(Float(0)) { $0 + weight[o * width + $1.1] * gamma[$1.1] * $1.0 } }
        }
        let first = (0..<3).flatMap { scaledProduct(words[($0 * width)..<($0 * width + width)]) }
        let second = (0..<4).flatMap { scaledProduct(places[($0 * width)..<($0 * width + width)]) }
        let sums = (0..<outWidth).map { o in (0..<width).reduce(Float(0)) { $0 + weight[o * width + $1] * gamma[$1] } }
        let constant = (0..<outWidth).map { o in (0..<width).reduce(bias[o]) { $0 + weight[o * width + $1] * beta[$1] } }
        var input = [Float](repeating: 0, count: rows * width)
        var expected = [Double](repeating: 0, count: rows * outWidth)
        for row in 0..<rows {
            let line = (0..<width).map { Double(words[Int(wordOfRow[row]) * width + $0]) + Double(places[Int(placeOfRow[row]) * width + $0]) }
            for column in 0..<width { input[row * width + column] = Float(line[column]) }
            let mean = line.reduce(0, +) / Double(width)
            let variance = line.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            let normed = (0..<width).map { (line[$0] - mean) / (variance + Double(epsilon)).squareRoot() * Double(gamma[$0]) + Double(beta[$0]) }
            for o in 0..<outWidth {
                expected[row * outWidth + o] = (0..<width).reduce(Double(bias[o])) { $0 + Double(weight[o * width + $1]) * normed[$1] }
            }
        }
        for table in Self.tables() {
            var output = [Float](repeating: .nan, count: rows * outWidth + 1)
            table.normalized_projection_rows(
                input, rows, width, epsilon, first, wordOfRow, second, placeOfRow, sums, constant, outWidth, &output)
            for index in 0..<(rows * outWidth) {
                #expect(abs(Double(output[index]) - expected[index]) <= 2e-5, "lanes \(table.lanes) at \(index)")
            }
            #expect(output[rows * outWidth].isNaN, "nothing written past the last row")
        }
    }

    @Test("short-sequence attention equals the double-precision formula", arguments: [(1, 32), (5, 12), (16, 32), (17, 32), (33, 40), (64, 64)])
    func attention(length: Int, headWidth: Int) {
        // Q, K and V side by side in rows of stride 3·headWidth + 3, output rows of stride headWidth + 5.
        let stride = 3 * headWidth + 3, outputStride = headWidth + 5
        let rows = Self.values(length * stride, seed: UInt64(7 * length + headWidth), scale: 2)
        let scale = 1 / Float(headWidth).squareRoot()
        let padded = (length + 15) & ~15
        var expected = [Double](repeating: 0, count: length * headWidth)
        for i in 0..<length {
            var scores = (0..<length).map { j in
                (0..<headWidth).reduce(0.0) { $0 + Double(rows[i * stride + $1]) * Double(rows[j * stride + headWidth + $1]) } * Double(scale)
            }
            let top = scores.max()!
            scores = scores.map { exp($0 - top) }
            let total = scores.reduce(0, +)
            for d in 0..<headWidth {
                expected[i * headWidth + d] = (0..<length).reduce(0.0) { $0 + scores[$1] / total * Double(rows[$1 * stride + 2 * headWidth + d]) }
            }
        }
        for table in Self.tables() {
            var scores = [Float](repeating: 0, count: length * padded)
            var keys = [Float](repeating: 0, count: (headWidth + 1) * padded)
            var output = [Float](repeating: .nan, count: length * outputStride)
            rows.withUnsafeBufferPointer { rows in
                let base = rows.baseAddress!
                table.attend_short(
                    base, base + headWidth, base + 2 * headWidth, stride, length, headWidth, scale,
                    &scores, &keys, &output, outputStride)
            }
            for i in 0..<length {
                for d in 0..<headWidth {
                    #expect(abs(Double(output[i * outputStride + d]) - expected[i * headWidth + d]) <= 2e-6, "lanes \(table.lanes) (\(i), \(d))")
                }
                #expect(output[i * outputStride + headWidth].isNaN, "columns past the head untouched")
            }
        }
    }
}

/// The packed-weight linear layer against BLAS: shapes with partial row blocks and panels, bias
/// and residual in every combination, residual in place.
@Suite("Packed linear layers")
struct PackedLinearTests {
    /// The last shape is long enough (401 rows of 1,024) to be cut into row chunks (256 + 145).
    /// Depths 5, 16, 17 and 31 reach the tile loop's edges: no step before the prefetch wraps,
    /// none after, and an odd last step after either part.
    @Test("equals BLAS.linear", arguments: [(1, 5, 3), (8, 16, 32), (9, 17, 33), (11, 31, 20), (13, 40, 70), (37, 384, 96), (203, 384, 64), (401, 1024, 40)])
    func matchesBLAS(rows: Int, inFeatures: Int, outFeatures: Int) {
        let weight = Tensor(shape: [outFeatures, inFeatures],
                            scalars: VectorKernelTableTests.values(outFeatures * inFeatures, seed: 21))
        let layer = PackedLinear(weight: weight)
        let input = VectorKernelTableTests.values(rows * inFeatures, seed: 22)
        let bias = VectorKernelTableTests.values(outFeatures, seed: 23)
        let residual = VectorKernelTableTests.values(rows * outFeatures, seed: 24)
        for (useBias, useResidual, inPlace) in [(false, false, false), (true, false, false), (true, true, false), (false, true, true), (true, true, true)] {
            var expected = [Float](repeating: 0, count: rows * outFeatures)
            BLAS.linear(
                input: input, rows: rows, inFeatures: inFeatures, weight: weight.baseAddress, outFeatures: outFeatures,
                bias: useBias ? bias : nil, residual: useResidual ? residual : nil, output: &expected)
            // Past-the-end guard (the 42): the layer must write exactly rows × outFeatures values.
            // On the calling thread (inside a parallel region), and split over threads.
            for insideRegion in [true, false] {
                var output = (inPlace ? residual : [Float](repeating: .nan, count: rows * outFeatures)) + [42]
                output.withUnsafeMutableBufferPointer { buffer in
                    let base = buffer.baseAddress!
                    let run = {
                        residual.withUnsafeBufferPointer { residual in
                            layer(
                                input: input, rows: rows, bias: useBias ? bias : nil,
                                residual: useResidual ? (inPlace ? UnsafePointer(base) : residual.baseAddress!) : nil,
                                output: base)
                        }
                    }
                    if insideRegion { ComputeThreads.withSingleThreadedBLAS(run) } else { run() }
                }
                #expect(output.last == 42)
                let difference = zip(output, expected).map { abs($0 - $1) }.max() ?? .nan
                // Float rounding of sums of up to 1,024 products, relative to the outputs' scale.
                let scale = max(1, expected.map(abs).max() ?? 1)
                #expect(difference <= 4e-6 * scale, "rows \(rows) in \(inFeatures) out \(outFeatures) bias \(useBias) residual \(useResidual) in place \(inPlace) region \(insideRegion): \(difference)")
            }
        }
    }

    @Test("with a GELU epilogue equals BLAS.linear then GELU", arguments: GELUForm.allCases)
    func geluEpilogue(form: GELUForm) {
        for (rows, inFeatures, outFeatures) in [(1, 5, 3), (13, 40, 70), (203, 384, 64), (37, 600, 96), (401, 1024, 40)] {
            let weight = Tensor(shape: [outFeatures, inFeatures],
                                scalars: VectorKernelTableTests.values(outFeatures * inFeatures, seed: 31))
            let layer = PackedLinear(weight: weight)
            let input = VectorKernelTableTests.values(rows * inFeatures, seed: 32)
            let bias = VectorKernelTableTests.values(outFeatures, seed: 33)
            var expected = [Float](repeating: 0, count: rows * outFeatures)
            BLAS.linear(
                input: input, rows: rows, inFeatures: inFeatures, weight: weight.baseAddress, outFeatures: outFeatures,
                bias: bias, residual: nil, output: &expected)
            expected = expected.map { form.apply($0) }
            for insideRegion in [true, false] {
                var output = [Float](repeating: .nan, count: rows * outFeatures) + [42]
                output.withUnsafeMutableBufferPointer { buffer in
                    let base = buffer.baseAddress!
                    let run = { layer(input: input, rows: rows, bias: bias, activation: form, output: base) }
                    if insideRegion { ComputeThreads.withSingleThreadedBLAS(run) } else { run() }
                }
                #expect(output.last == 42)
                let difference = zip(output, expected).map { abs($0 - $1) }.max() ?? .nan
                let scale = max(1, expected.map(abs).max() ?? 1)
                #expect(difference <= 4e-6 * scale, "\(form) rows \(rows) in \(inFeatures) out \(outFeatures) region \(insideRegion): \(difference)")
            }
        }
    }
}
