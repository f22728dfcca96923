import CVectorKernels
import Foundation
import Plugins
import Runtime
import Testing

/// The reproducibility promise of docs/RESULTS.md, checked kernel by kernel: every copy of the C
/// kernels this CPU runs (16, 8 and 4 lanes) gives the same bits as every other copy that fuses
/// multiply-adds, and the packed linear kernel's value for a row does not depend on how many rows
/// the call has or where a call's rows start.
@Suite("Kernel copies: the same bits on every path")
struct KernelPathIdentityTests {
    typealias Table = zoo_vector_kernel_table

    static var tables: [Table] { VectorKernelTableTests.tables() }
    static var fusedTables: [Table] { tables.filter { $0.fused == 1 } }
    static func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        VectorKernelTableTests.values(count, seed: seed, scale: scale)
    }

    /// `input · Wᵀ + bias + residual`, GELU'd when `activation` is 1 or 2, through one table's
    /// packed kernel, for rows `rows` of `input`, one call per entry of `calls` (row counts).
    static func packedLinear(
        _ table: Table, input: [Float], weight: [Float], inFeatures: Int, outFeatures: Int, bias: [Float]?,
        residual: [Float]?, activation: Int32, calls: [Int]
    ) -> [Float] {
        let panel = table.panel_width
        var packed = [Float](repeating: .nan, count: zoo_packed_weights_count_for(outFeatures, inFeatures, panel))
        zoo_pack_weights_for(weight, outFeatures, inFeatures, panel, &packed)
        let rows = calls.reduce(0, +)
        var output = [Float](repeating: .nan, count: rows * outFeatures)
        var first = 0
        for count in calls {
            input.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { output in
                    let residualPointer = residual.map { residual in
                        residual.withUnsafeBufferPointer { $0.baseAddress! + first * outFeatures }
                    }
                    table.packed_linear_activated(
                        input.baseAddress! + first * inFeatures, count, inFeatures, packed, outFeatures, bias,
                        residualPointer, output.baseAddress! + first * outFeatures, activation)
                }
            }
            first += count
        }
        return output
    }

    @Test("packed linear: bias, then one fused multiply-add per input feature in order, then the residual",
          arguments: [(1, 5, 3), (7, 17, 33), (13, 40, 70), (37, 384, 96), (29, 1536, 40)])
    func packedLinearOrder(rows: Int, inFeatures: Int, outFeatures: Int) {
        let weight = Self.values(outFeatures * inFeatures, seed: 41)
        let input = Self.values(rows * inFeatures, seed: 42)
        let bias = Self.values(outFeatures, seed: 43)
        let residual = Self.values(rows * outFeatures, seed: 44)
        // Swift's addingProduct is a fused multiply-add: the reference order, in plain Swift.
        var expected = [Float](repeating: 0, count: rows * outFeatures)
        for row in 0..<rows {
            for column in 0..<outFeatures {
                var sum = bias[column]
                for k in 0..<inFeatures {
                    sum = sum.addingProduct(input[row * inFeatures + k], weight[column * inFeatures + k])
                }
                expected[row * outFeatures + column] = sum + residual[row * outFeatures + column]
            }
        }
        for table in Self.tables {
            let output = Self.packedLinear(
                table, input: input, weight: weight, inFeatures: inFeatures, outFeatures: outFeatures, bias: bias,
                residual: residual, activation: 0, calls: [rows])
            if table.fused == 1 {
                let differing = zip(output, expected).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                #expect(differing == 0, "lanes \(table.lanes): \(differing) of \(output.count) values differ from the reference order")
            } else {
                let difference = zip(output, expected).map { abs($0 - $1) }.max() ?? .nan
                #expect(difference <= 4e-6 * max(1, expected.map(abs).max() ?? 1), "lanes \(table.lanes) (unfused): \(difference)")
            }
        }
    }

    @Test("packed linear: a row's value does not depend on the call's row count or the row's place in it")
    func packedLinearRowIndependence() {
        let (rows, inFeatures, outFeatures) = (53, 384, 80)
        let weight = Self.values(outFeatures * inFeatures, seed: 51)
        let input = Self.values(rows * inFeatures, seed: 52)
        let bias = Self.values(outFeatures, seed: 53)
        for table in Self.tables {
            for activation in [0, 1, 2] as [Int32] {
                let whole = Self.packedLinear(
                    table, input: input, weight: weight, inFeatures: inFeatures, outFeatures: outFeatures,
                    bias: bias, residual: nil, activation: activation, calls: [rows])
                for calls in [[Int](repeating: 1, count: rows), [5, 3, 7, 1, 37], [6, 6, 6, 35], [52, 1]] {
                    let split = Self.packedLinear(
                        table, input: input, weight: weight, inFeatures: inFeatures, outFeatures: outFeatures,
                        bias: bias, residual: nil, activation: activation, calls: calls)
                    let differing = zip(split, whole).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(differing == 0, "lanes \(table.lanes) activation \(activation) calls \(calls): \(differing) values differ")
                }
            }
        }
    }

    @Test("packed linear with GELU: every fused copy gives the same bits")
    func packedLinearAcrossCopies() {
        let (rows, inFeatures, outFeatures) = (19, 100, 45)
        let weight = Self.values(outFeatures * inFeatures, seed: 61, scale: 0.5)
        let input = Self.values(rows * inFeatures, seed: 62, scale: 2)
        let bias = Self.values(outFeatures, seed: 63)
        let residual = Self.values(rows * outFeatures, seed: 64)
        for activation in [0, 1, 2] as [Int32] {
            let outputs = Self.fusedTables.map {
                (Int($0.lanes), Self.packedLinear(
                    $0, input: input, weight: weight, inFeatures: inFeatures, outFeatures: outFeatures, bias: bias,
                    residual: residual, activation: activation, calls: [rows]).map(\.bitPattern))
            }
            for (lanes, bits) in outputs.dropFirst() {
                let differing = zip(bits, outputs[0].1).filter { $0 != $1 }.count
                #expect(differing == 0, "lanes \(lanes) against \(outputs[0].0), activation \(activation): \(differing) of \(bits.count) values differ")
            }
        }
    }

    @Test("GELU, softmax, 2^x, LayerNorm, short and long attention, the normalised projection: every fused copy gives the same bits")
    func elementwiseAcrossCopies() {
        let tables = Self.fusedTables
        guard tables.count > 1 else { return }
        func same(_ name: String, _ run: (Table) -> [Float]) {
            let reference = run(tables[0]).map(\.bitPattern)
            for table in tables.dropFirst() {
                let differing = zip(run(table).map(\.bitPattern), reference).filter { $0 != $1 }.count
                #expect(differing == 0, "\(name): lanes \(table.lanes) against \(tables[0].lanes): \(differing) of \(reference.count) values differ")
            }
        }
        let (rows, width) = (5, 389)
        let input = Self.values(rows * width, seed: 71, scale: 5)
        let weight = Self.values(width, seed: 72)
        let bias = Self.values(width, seed: 73)
        for form in [0, 1, 2] as [Int32] {
            same("GELU form \(form)") { table in
                var values = input
                table.bias_gelu_rows(&values, rows, width, bias, form)
                return values
            }
        }
        same("softmax") { table in
            var values = input
            table.softmax_rows(&values, rows, 301, width)
            return values
        }
        same("2^x row") { table in
            var values = input.map { -abs($0) }
            let sum = table.exp2_row(&values, 333)
            return values + [sum]
        }
        same("LayerNorm") { table in
            var hidden = input
            var output = [Float](repeating: 0, count: rows * width)
            table.layer_norm_rows(&hidden, rows, width, weight, bias, 1e-12, &output, bias)
            return output + hidden
        }
        for length in [1, 7, 19, 40] {
            let headWidth = 32, stride = 3 * headWidth
            let qkv = Self.values(length * stride, seed: 74, scale: 2)
            same("short attention, \(length) tokens") { table in
                let padded = (length + 15) / 16 * 16
                var scores = [Float](repeating: 0, count: length * padded)
                var keys = [Float](repeating: 0, count: (headWidth + 1) * padded)
                var output = [Float](repeating: 0, count: length * headWidth)
                qkv.withUnsafeBufferPointer { rows in
                    let base = rows.baseAddress!
                    table.attend_short(base, base + headWidth, base + 2 * headWidth, stride, length, headWidth,
                                       0.17, &scores, &keys, &output, headWidth)
                }
                return output
            }
        }
        // With an additive bias per (query, key), as MPNet's relative positions.
        for length in [1, 19, 40] {
            let headWidth = 32, stride = 3 * headWidth
            let qkv = Self.values(length * stride, seed: 80, scale: 2)
            let padded = (length + 15) / 16 * 16
            let bias = (0..<(length * padded)).map { $0 % padded < length ? Float(($0 * 37) % 11) / 5 - 1 : 0 }
            same("short attention with a bias, \(length) tokens") { table in
                var scores = [Float](repeating: 0, count: length * padded)
                var keys = [Float](repeating: 0, count: (headWidth + 1) * padded)
                var output = [Float](repeating: 0, count: length * headWidth)
                qkv.withUnsafeBufferPointer { rows in
                    let base = rows.baseAddress!
                    table.attend_short_biased(base, base + headWidth, base + 2 * headWidth, stride, length, headWidth,
                                              0.17, &scores, &keys, &output, headWidth, bias, padded)
                }
                return output
            }
        }
        for length in [65, 130] {
            let headWidth = 24, stride = 3 * headWidth
            let qkv = Self.values(length * stride, seed: 81, scale: 2)
            let padded = (length + 15) / 16 * 16
            let bias = (0..<(length * padded)).map { $0 % padded < length ? Float(($0 * 29) % 13) / 6 - 1 : 0 }
            same("long attention with a bias, \(length) tokens") { table in
                var scratch = [Float](repeating: .nan, count: zoo_attend_long_scratch_count(length, headWidth))
                var output = [Float](repeating: 0, count: length * headWidth)
                qkv.withUnsafeBufferPointer { rows in
                    let base = rows.baseAddress!
                    var copy = table
                    zoo_attend_long_biased_with(&copy, base, base + headWidth, base + 2 * headWidth, stride, length, headWidth,
                                                0.2, &scratch, &output, headWidth, bias, padded)
                }
                return output
            }
        }
        for length in [65, 130] {
            let headWidth = 24, stride = 3 * headWidth
            let qkv = Self.values(length * stride, seed: 79, scale: 2)
            same("long attention, \(length) tokens") { table in
                var scratch = [Float](repeating: .nan, count: zoo_attend_long_scratch_count(length, headWidth))
                var output = [Float](repeating: 0, count: length * headWidth)
                qkv.withUnsafeBufferPointer { rows in
                    let base = rows.baseAddress!
                    var copy = table
                    zoo_attend_long_with(&copy, base, base + headWidth, base + 2 * headWidth, stride, length, headWidth,
                                         0.2, &scratch, &output, headWidth)
                }
                return output
            }
        }
        let outWidth = 70
        let tableA = Self.values(3 * outWidth, seed: 75), tableB = Self.values(4 * outWidth, seed: 76)
        let sums = Self.values(outWidth, seed: 77), constant = Self.values(outWidth, seed: 78)
        let firstIndex: [Int32] = [0, 2, 1, 2, 0], secondIndex: [Int32] = [3, 0, 1, 2, 3]
        same("normalised projection") { table in
            var output = [Float](repeating: 0, count: rows * outWidth)
            table.normalized_projection_rows(input, rows, width, 1e-12, tableA, firstIndex, tableB, secondIndex,
                                             sums, constant, outWidth, &output)
            return output
        }
    }
}

/// DINOv2 on zoo's packed linear layers: an image's tokens do not depend on the other images of
/// its batch, on how the batch is split over threads, or on the thread count.
@Suite("DINOv2: the same bits whatever the batching")
struct Dinov2BatchingIdentityTests {
    @Test("one batch of 5, images one by one, and 1, 2 or 3 threads give the same bits")
    func batching() throws {
        let encoder = try Dinov2Model(folder: dinoFolder("dinov2-registers"))
        let one = try dinoInput("224")
        let (channels, height, width) = (one.shape[1], one.shape[2], one.shape[3])
        let size = channels * height * width
        // Five different images: the fixture's pixels shifted and scaled.
        var scalars: [Float] = []
        for image in 0..<5 { scalars += one.scalars.prefix(size).map { $0 * (1 + 0.1 * Float(image)) - 0.05 * Float(image) } }
        let batch = Tensor(shape: [5, channels, height, width], scalars: scalars)
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(1)
        let reference = try encoder.encode(pixels: batch).tokens.scalars.map(\.bitPattern)
        let perImage = reference.count / 5
        for threads in [2, 3] {
            ComputeThreads.set(threads)
            let tokens = try encoder.encode(pixels: batch).tokens.scalars.map(\.bitPattern)
            #expect(tokens == reference, "threads \(threads), lanes \(KernelPath.lanes)")
        }
        ComputeThreads.set(2)
        for image in [0, 3] {
            let single = Tensor(shape: [1, channels, height, width], scalars: Array(scalars[(image * size)..<((image + 1) * size)]))
            let tokens = try encoder.encode(pixels: single).tokens.scalars.map(\.bitPattern)
            #expect(tokens == Array(reference[(image * perImage)..<((image + 1) * perImage)]), "image \(image) alone, lanes \(KernelPath.lanes)")
        }
    }
}
