import Foundation
import Runtime

/// SigLIP's attention-pooling (MAP) head, transformers' `SiglipMultiheadAttentionPoolingHead`:
/// a learned probe attends over an image's tokens with PyTorch's `nn.MultiheadAttention`, then
/// a pre-norm MLP block adds to the result; the one output row is the image's embedding.
struct SiglipAttentionPoolingHead: Sendable {
    let width: Int
    let heads: Int
    let epsilon: Float
    let activation: GELUForm
    /// The probe's query, `W_q · probe + b_q`: the same for every image.
    let query: [Float]
    /// The key and value rows of `in_proj_weight` stacked, `[2D, D]`, packed, and their biases.
    let keyValue: PackedLinear
    let keyValueBias: Tensor
    let output: PackedLinear
    let outputBias: Tensor
    let normWeight: Tensor
    let normBias: Tensor
    let expand: PackedLinear
    let expandBias: Tensor
    let contract: PackedLinear
    let contractBias: Tensor

    /// Reads the head from `weights` scoped to it (`head`), checking shapes against `config`.
    init(weights: WeightReader, config: ClipTowerConfig) throws(ModelLoadError) {
        let d = config.hiddenSize
        width = d
        heads = config.attentionHeads
        epsilon = config.layerNormEpsilon
        activation = config.activation
        let probe = try weights.tensor("probe", shape: [1, 1, d]).scalars
        let inWeight = try weights.tensor("attention.in_proj_weight", shape: [3 * d, d]).scalars
        let inBias = try weights.tensor("attention.in_proj_bias", shape: [3 * d]).scalars
        query = (0..<d).map { row in
            var sum = inBias[row]
            for column in 0..<d { sum += inWeight[row * d + column] * probe[column] }
            return sum
        }
        keyValue = PackedLinear(weight: Tensor(shape: [2 * d, d], scalars: Array(inWeight[(d * d)...])))
        keyValueBias = Tensor(shape: [2 * d], scalars: Array(inBias[d...]))
        let out = try weights.linear("attention.out_proj", inputs: d, outputs: d)
        output = PackedLinear(weight: out.weight)
        outputBias = out.bias
        (normWeight, normBias) = try weights.layerNorm("layernorm", width: d)
        let first = try weights.linear("mlp.fc1", inputs: d, outputs: config.intermediateSize)
        expand = PackedLinear(weight: first.weight)
        expandBias = first.bias
        let second = try weights.linear("mlp.fc2", inputs: config.intermediateSize, outputs: d)
        contract = PackedLinear(weight: second.weight)
        contractBias = second.bias
    }

    /// The pooled embedding `[images, width]` of `images` images of `length` token rows each.
    func pool(_ tokens: UnsafePointer<Float>, images: Int, length: Int) -> Tensor {
        let d = width
        let rows = images * length
        let headWidth = d / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let kv = CacheLineMemory.floats(max(rows, 1) * 2 * d)
        defer { kv.deallocate() }
        keyValue(input: tokens, rows: rows, bias: keyValueBias.baseAddress, output: kv)
        var context = [Float](repeating: 0, count: images * d)
        var scores = [Float](repeating: 0, count: length)
        for image in 0..<images {
            for head in 0..<heads {
                let column = head * headWidth
                var largest = -Float.infinity
                for j in 0..<length {
                    let key = kv + (image * length + j) * 2 * d + column
                    var dot: Float = 0
                    for c in 0..<headWidth { dot += query[column + c] * key[c] }
                    scores[j] = dot * scale
                    largest = max(largest, scores[j])
                }
                var total: Float = 0
                for j in 0..<length {
                    scores[j] = Foundation.exp(scores[j] - largest)
                    total += scores[j]
                }
                for j in 0..<length {
                    let value = kv + (image * length + j) * 2 * d + d + column
                    let weight = scores[j] / total
                    for c in 0..<headWidth { context[image * d + column + c] += weight * value[c] }
                }
            }
        }
        var pooled = Tensor(shape: [images, d])
        pooled.withUnsafeMutableBufferPointer { buffer in
            let attended = buffer.baseAddress!
            context.withUnsafeBufferPointer { output(input: $0.baseAddress!, rows: images, bias: outputBias.baseAddress, output: attended) }
            // x + fc2(act(fc1(LayerNorm(x)))): the LayerNorm pass also adds fc2's bias to x.
            let normed = CacheLineMemory.floats(images * d)
            defer { normed.deallocate() }
            let expanded = CacheLineMemory.floats(images * expand.outFeatures)
            defer { expanded.deallocate() }
            TensorKernels.layerNorm(
                attended, rows: images, width: d, weight: normWeight.baseAddress, bias: normBias.baseAddress,
                epsilon: epsilon, output: normed, thenAdding: contractBias.baseAddress)
            expand(input: normed, rows: images, bias: expandBias.baseAddress, activation: activation, output: expanded)
            contract(input: expanded, rows: images, bias: nil, residual: attended, output: attended)
        }
        return pooled
    }
}
