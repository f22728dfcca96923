import Foundation
import Testing
@testable import Runtime
@testable import ZooAnalysis

private let ckaFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/cka")

@Suite("CKA")
struct CKATests {
    /// `rows × width` values from a seeded generator in [-1, 1).
    static func random(_ rows: Int, _ width: Int, seed: UInt64) -> EmbeddingMatrix {
        var state = seed
        var values: [Float] = []
        for _ in 0..<(rows * width) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Float(Double(state >> 11) / Double(1 << 53)) * 2 - 1)
        }
        return EmbeddingMatrix(values: values, rows: rows, width: width)
    }

    /// Y = tanh(X A) + noise: related to X but not linearly.
    static func related(_ x: EmbeddingMatrix, width: Int, seed: UInt64) -> EmbeddingMatrix {
        let mixing = random(x.width, width, seed: seed)
        let noise = random(x.rows, width, seed: seed + 1)
        var values = [Float](repeating: 0, count: x.rows * width)
        for row in 0..<x.rows {
            for column in 0..<width {
                var sum: Float = 0
                for k in 0..<x.width { sum += x.values[row * x.width + k] * mixing.values[k * width + column] }
                values[row * width + column] = tanh(sum) + 0.3 * noise.values[row * width + column]
            }
        }
        return EmbeddingMatrix(values: values, rows: x.rows, width: width)
    }

    /// X Q for a random orthogonal Q (Gram–Schmidt in Double).
    static func rotated(_ x: EmbeddingMatrix, seed: UInt64) -> EmbeddingMatrix {
        let d = x.width
        let raw = random(d, d, seed: seed)
        var q = [[Double]]()
        for i in 0..<d {
            var v = (0..<d).map { Double(raw.values[i * d + $0]) }
            for u in q {
                let projection = zip(u, v).map(*).reduce(0, +)
                for k in 0..<d { v[k] -= projection * u[k] }
            }
            let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            q.append(v.map { $0 / norm })
        }
        var values = [Float](repeating: 0, count: x.rows * d)
        for row in 0..<x.rows {
            for column in 0..<d {
                var sum: Double = 0
                for k in 0..<d { sum += Double(x.values[row * d + k]) * q[k][column] }
                values[row * d + column] = Float(sum)
            }
        }
        return EmbeddingMatrix(values: values, rows: x.rows, width: d)
    }

    static func features(_ name: String) throws -> EmbeddingMatrix {
        let file = try SafeTensorsFile(url: ckaFixtures.appendingPathComponent(name))
        let info = try file.info("features")
        return EmbeddingMatrix(values: try file.floats("features"), rows: info.shape[0], width: info.shape[1])
    }

    static func close(_ a: Double, _ b: Double, relative: Double) -> Bool {
        abs(a - b) <= relative * max(abs(a), abs(b))
    }

    @Test("linear and RBF CKA and bandwidths match the numpy Gram-matrix reference (1e-6 relative)")
    func matchesReference() throws {
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: ckaFixtures.appendingPathComponent("expected.json"))) as? [String: Any])
        let x = try Self.features("x.safetensors")
        let y = try Self.features("y.safetensors")
        #expect(x.rows == expected["samples"] as? Int)
        let linear = try CKA.compute(x, y, kernel: .linear)
        let wantLinear = try #require((expected["linear"] as? [String: Double])?["cka"])
        #expect(Self.close(linear.score, wantLinear, relative: 1e-6), "linear \(linear.score) vs \(wantLinear)")
        #expect(linear.bandwidthX == nil && linear.bandwidthY == nil)
        let rbf = try CKA.compute(x, y, kernel: .rbf)
        let wantRBF = try #require(expected["rbf"] as? [String: Double])
        #expect(Self.close(rbf.score, wantRBF["cka"]!, relative: 1e-6), "rbf \(rbf.score) vs \(wantRBF["cka"]!)")
        #expect(Self.close(rbf.bandwidthX ?? 0, wantRBF["bandwidth_x"]!, relative: 1e-6), "σx \(rbf.bandwidthX ?? 0)")
        #expect(Self.close(rbf.bandwidthY ?? 0, wantRBF["bandwidth_y"]!, relative: 1e-6), "σy \(rbf.bandwidthY ?? 0)")
        #expect(Self.close(try CKA.medianDistance(x) ?? 0, wantRBF["bandwidth_x"]!, relative: 1e-6))
    }

    @Test("CKA(X, X) = 1 and CKA is symmetric", arguments: CKAKernel.allCases)
    func selfAndSymmetry(kernel: CKAKernel) throws {
        let x = Self.random(40, 12, seed: 1)
        let y = Self.related(x, width: 7, seed: 2)
        #expect(abs(try CKA.compute(x, x, kernel: kernel).score - 1) < 1e-12)
        let forward = try CKA.compute(x, y, kernel: kernel)
        let backward = try CKA.compute(y, x, kernel: kernel)
        #expect(abs(forward.score - backward.score) < 1e-12)
        #expect(forward.score > 0.05 && forward.score < 0.999, "\(forward.score)")
        #expect(forward.bandwidthX == backward.bandwidthY)
    }

    @Test("invariant to orthogonal rotation, isotropic scaling and translation", arguments: CKAKernel.allCases)
    func invariances(kernel: CKAKernel) throws {
        let x = Self.random(50, 10, seed: 3)
        let y = Self.related(x, width: 6, seed: 4)
        let base = try CKA.compute(x, y, kernel: kernel).score
        let rotated = try CKA.compute(Self.rotated(x, seed: 5), y, kernel: kernel).score
        #expect(abs(rotated - base) < 1e-5, "rotated \(rotated) vs \(base)")
        let scaled = EmbeddingMatrix(values: x.values.map { $0 * 3.75 }, rows: x.rows, width: x.width)
        #expect(abs(try CKA.compute(scaled, y, kernel: kernel).score - base) < 1e-6)
        let shifted = EmbeddingMatrix(values: y.values.enumerated().map { $0.element + Float($0.offset % y.width) * 2 }, rows: y.rows, width: y.width)
        #expect(abs(try CKA.compute(x, shifted, kernel: kernel).score - base) < 1e-5)
    }

    @Test("unrelated features score lower than related ones")
    func unrelatedIsLower() throws {
        let x = Self.random(200, 16, seed: 6)
        let related = Self.related(x, width: 8, seed: 7)
        let unrelated = Self.random(200, 8, seed: 8)
        for kernel in CKAKernel.allCases {
            #expect(try CKA.compute(x, related, kernel: kernel).score > 2 * CKA.compute(x, unrelated, kernel: kernel).score)
        }
    }

    @Test("prepared features give the same score as compute")
    func preparedMatchesCompute() throws {
        let x = Self.random(30, 5, seed: 9)
        let y = Self.related(x, width: 4, seed: 10)
        for kernel in CKAKernel.allCases {
            let a = try CKAFeatures(x, name: "x", kernel: kernel)
            let b = try CKAFeatures(y, name: "y", kernel: kernel)
            #expect(try CKA.score(a, b) == CKA.compute(x, y, kernel: kernel).score)
            #expect(a.samples == 30 && a.width == 5)
        }
    }

    @Test("median: odd and even counts, zero distances left out")
    func median() throws {
        var odd: [Double] = [5, 1, 4, 2, 3]
        #expect(CKA.median(&odd) == 3)
        var even: [Double] = [7, 1, 3, 9, 5, 5]
        #expect(CKA.median(&even) == 5)
        var pairs: [Double] = [4, 1, 2, 3]
        #expect(CKA.median(&pairs) == 2.5)
        var empty: [Double] = []
        #expect(CKA.median(&empty) == nil)
        var many = (0..<1001).map { Double(($0 * 7919) % 1001) }
        #expect(CKA.median(&many) == 500)
        // Rows 0 and 1 are the same point; distances 0 (left out), 3, 3, 4, 4, 5 → median 4.
        let points = EmbeddingMatrix(values: [0, 0, 0, 0, 3, 0, 0, 4], rows: 4, width: 2)
        #expect(try CKA.medianDistance(points) == 4)
        let same = EmbeddingMatrix(values: [1, 2, 1, 2], rows: 2, width: 2)
        #expect(try CKA.medianDistance(same) == nil)
    }

    @Test("errors: fewer than 2 samples, mismatched counts, NaN or Inf naming input and row, constant features")
    func errors() throws {
        let x = Self.random(10, 4, seed: 11)
        let one = EmbeddingMatrix(values: [1, 2, 3, 4], rows: 1, width: 4)
        #expect(throws: CKAError(.tooFewSamples(input: "Y", count: 1))) { try CKA.compute(x, one, kernel: .linear) }
        let short = Self.random(9, 3, seed: 12)
        #expect(throws: CKAError(.countMismatch(first: "a", firstCount: 10, second: "b", secondCount: 9))) {
            try CKA.compute(x, short, kernel: .rbf, names: ("a", "b"))
        }
        var bad = x
        bad.values[3 * 4 + 2] = .nan
        do {
            _ = try CKA.compute(x, bad, kernel: .linear, names: ("vision", "text"))
            Issue.record("NaN accepted")
        } catch {
            guard case .nonFinite(let input, let row, let column, _) = error.reason else { Issue.record("\(error)"); return }
            #expect(input == "text" && row == 3 && column == 2)
            #expect(error.description.contains("row 3"))
        }
        var infinite = x
        infinite.values[7 * 4] = -.infinity
        #expect(throws: CKAError(.nonFinite(input: "X", row: 7, column: 0, value: -.infinity))) {
            try CKA.compute(infinite, x, kernel: .rbf)
        }
        let constant = EmbeddingMatrix(values: [Float](repeating: 0.1, count: 40), rows: 10, width: 4)
        for kernel in CKAKernel.allCases {
            #expect(throws: CKAError(.constant(input: "Y"))) { try CKA.compute(x, constant, kernel: kernel) }
        }
        let a = try CKAFeatures(x, name: "a", kernel: .linear)
        let b = try CKAFeatures(Self.random(12, 4, seed: 13), name: "b", kernel: .linear)
        #expect(throws: CKAError.self) { try CKA.score(a, b) }
    }
}
