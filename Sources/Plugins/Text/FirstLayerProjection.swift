import Runtime

/// Layer 0's fused Q/K/V projection, computed from its parts instead of one GEMM over every token.
///
/// The embedding LayerNorm is affine once a row's mean m and inverse deviation r are known, so
/// for a token with word embedding w and position-plus-token-type embedding p:
///
///     W·LN(w + p) + b = r · (W'w + W'p − m · W'1) + (W·β + b),    W' = W·diag(γ)
///
/// W'p is a table made at load for every position; W'w is computed once per distinct token id of
/// a batch, so the GEMM runs on the distinct ids only (a batch of 32 generated captions, about
/// 525 tokens, has about 120). The result equals the direct product up to rounding; the parity
/// suites hold it to transformers' outputs.
struct FirstLayerProjection: Sendable {
    /// Model width d.
    let width: Int
    /// Output width, 3d.
    let outWidth: Int
    /// The embedding LayerNorm's epsilon.
    let epsilon: Float
    /// W' = W·diag(γ), `[3d, d]`.
    let scaledWeight: PackedLinear
    /// W'·(position[p] + tokenType[0]) for every position p, `[positions, 3d]`.
    let positionTable: Tensor
    /// W'·1, `[3d]`.
    let sums: Tensor
    /// W·β + b, `[3d]`.
    let constant: Tensor

    /// Precomputes the parts from layer 0's stacked Q/K/V `weight` `[3d, d]` and `bias`, the
    /// embedding LayerNorm (`normWeight` γ, `normBias` β, `epsilon`), the position table and
    /// token type 0's embedding.
    init(
        weight: Tensor, bias: Tensor, normWeight: Tensor, normBias: Tensor, epsilon: Float,
        positions: Tensor, tokenType: UnsafePointer<Float>
    ) {
        let d = weight.shape[1]
        let out = weight.shape[0]
        width = d
        outWidth = out
        self.epsilon = epsilon
        var scaled = [Float](repeating: 0, count: out * d)
        var sums = [Float](repeating: 0, count: out)
        var constant = [Float](repeating: 0, count: out)
        let w = weight.baseAddress
        let gamma = normWeight.baseAddress
        let beta = normBias.baseAddress
        let b = bias.baseAddress
        for row in 0..<out {
            var sum = 0.0
            var shifted = Double(b[row])
            for column in 0..<d {
                let value = w[row * d + column]
                let product = value * gamma[column]
                scaled[row * d + column] = product
                sum += Double(product)
                shifted += Double(value) * Double(beta[column])
            }
            sums[row] = Float(sum)
            constant[row] = Float(shifted)
        }
        scaledWeight = PackedLinear(weight: Tensor(shape: [out, d], scalars: scaled))
        self.sums = Tensor(shape: [out], scalars: sums)
        self.constant = Tensor(shape: [out], scalars: constant)

        let count = positions.shape[0]
        var shiftedPositions = positions.scalars
        for position in 0..<count {
            for column in 0..<d { shiftedPositions[position * d + column] += tokenType[column] }
        }
        var table = Tensor(shape: [count, out])
        let layer = scaledWeight
        table.withUnsafeMutableBufferPointer { output in
            layer(input: shiftedPositions, rows: count, bias: nil, output: output.baseAddress!)
        }
        positionTable = table
    }

    /// Writes layer 0's fused Q, K and V (`rows × 3d`) into `output` for the packed rows whose
    /// sums word + position + token type, before LayerNorm, are in `embedded` (`rows × d`).
    /// `ids` and `positions` give each row's token id and position; `words` is the word table.
    func project(
        embedded: UnsafePointer<Float>, ids: [Int32], positions: [Int32], words: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let rows = ids.count
        guard rows > 0 else { return }
        // Each distinct id once, in order of first appearance.
        var slots: [Int32: Int32] = [:]
        var distinct: [Int32] = []
        var slotOfRow = [Int32](repeating: 0, count: rows)
        for (row, id) in ids.enumerated() {
            if let slot = slots[id] {
                slotOfRow[row] = slot
            } else {
                let slot = Int32(distinct.count)
                slots[id] = slot
                distinct.append(id)
                slotOfRow[row] = slot
            }
        }
        let d = width
        var gathered = [Float](repeating: 0, count: distinct.count * d)
        gathered.withUnsafeMutableBufferPointer { target in
            for (slot, id) in distinct.enumerated() {
                (target.baseAddress! + slot * d).update(from: words + Int(id) * d, count: d)
            }
        }
        var projectedWords = [Float](repeating: 0, count: distinct.count * outWidth)
        projectedWords.withUnsafeMutableBufferPointer { target in
            scaledWeight(input: gathered, rows: distinct.count, bias: nil, output: target.baseAddress!)
        }
        TensorKernels.normalizedProjection(
            input: embedded, rows: rows, width: d, epsilon: epsilon,
            first: projectedWords, firstIndex: slotOfRow,
            second: positionTable.baseAddress, secondIndex: positions,
            sums: sums.baseAddress, constant: constant.baseAddress, outWidth: outWidth, output: output)
    }
}
