import Runtime

/// What every ``TextArchitecture`` shares: the embedding tables with their LayerNorm, and the
/// layer stack. The architectures differ only in how they number positions.
struct TransformerBackbone: Sendable {
    let config: TransformerConfig
    let wordEmbeddings: Tensor
    let positionEmbeddings: Tensor
    let tokenTypeEmbeddings: Tensor
    let embeddingNormWeight: Tensor
    let embeddingNormBias: Tensor
    let layers: [TransformerEncoderLayer]
    /// Layer 0's Q/K/V from per-position tables and the batch's distinct ids (nil without layers).
    let firstLayer: FirstLayerProjection?
    /// The relative-position bias every layer adds to its attention scores (MPNet), or nil.
    let positionBias: RelativePositionBias?

    /// Reads every backbone tensor from `weights`, checking shapes against `config`.
    init(weights: WeightReader, config: TransformerConfig, layout: TransformerLayout = .bert) throws(ModelLoadError) {
        let d = config.hiddenSize
        self.config = config
        let embeddings = weights.scoped("embeddings")
        wordEmbeddings = try embeddings.tensor("word_embeddings.weight", shape: [config.vocabularySize, d])
        positionEmbeddings = try embeddings.tensor("position_embeddings.weight", shape: [config.maxPositionEmbeddings, d])
        // Without a token-type table (MPNet) a zero row stands in for token type 0.
        tokenTypeEmbeddings = layout.tokenTypes
            ? try embeddings.tensor("token_type_embeddings.weight", shape: [config.typeVocabularySize, d])
            : Tensor(shape: [1, d])
        (embeddingNormWeight, embeddingNormBias) = try embeddings.layerNorm("LayerNorm", width: d)
        var layers: [TransformerEncoderLayer] = []
        for index in 0..<config.layerCount {
            // Layer 0's Q/K/V come from `firstLayer`, which takes its weights below.
            layers.append(try TransformerEncoderLayer(
                weights: weights.scoped("encoder.layer.\(index)"), config: config, ownsQKV: index > 0, layout: layout))
        }
        self.layers = layers
        if config.layerCount > 0 {
            let stacked = try TransformerEncoderLayer.stackedQKV(weights: weights.scoped("encoder.layer.0"), width: d, layout: layout)
            firstLayer = FirstLayerProjection(
                weight: stacked.weight, bias: stacked.bias, normWeight: embeddingNormWeight,
                normBias: embeddingNormBias, epsilon: config.layerNormEpsilon, positions: positionEmbeddings,
                tokenType: tokenTypeEmbeddings.baseAddress)
        } else {
            firstLayer = nil
        }
        if let name = layout.relativeAttentionBias {
            let table = try weights.tensor(name, shape: [config.relativeAttentionBuckets, config.attentionHeads])
            positionBias = RelativePositionBias(
                table: table.scalars, buckets: config.relativeAttentionBuckets, heads: config.attentionHeads)
        } else {
            positionBias = nil
        }
    }

    /// Embeds and encodes `ids`, placing token `j` of sequence `i` at the position
    /// `positions(ids[i])[j]`. Sequences longer than `maxLength` are rejected.
    func forward(
        ids: [[Int32]], maxLength: Int, positions: ([Int32]) -> [Int32]
    ) throws(TextEncoderError) -> PackedHiddenStates {
        let width = config.hiddenSize
        var flatIDs: [Int32] = []
        var flatPositions: [Int32] = []
        for (index, sequence) in ids.enumerated() {
            guard !sequence.isEmpty else { throw .emptySequence(index: index) }
            guard sequence.count <= maxLength else {
                throw .sequenceTooLong(index: index, length: sequence.count, maximum: maxLength)
            }
            for (position, id) in sequence.enumerated() where id < 0 || Int(id) >= config.vocabularySize {
                throw .tokenOutOfRange(
                    index: index, position: position, id: id, vocabularySize: config.vocabularySize)
            }
            flatIDs += sequence
            flatPositions += positions(sequence)
        }
        let rows = flatIDs.count
        var hidden = Tensor(shape: [rows, width])
        let lengths = ids.map(\.count)
        let sequences = PackedHiddenStates.ranges(for: lengths)
        hidden.withUnsafeMutableBufferPointer { buffer in
            guard let states = buffer.baseAddress, rows > 0 else { return }
            let workspace = EncoderWorkspace(
                rows: rows, width: width, intermediateWidth: config.intermediateSize)
            sumEmbeddings(ids: flatIDs, positions: flatPositions, into: states)
            if let firstLayer {
                firstLayer.project(
                    embedded: states, ids: flatIDs, positions: flatPositions,
                    words: wordEmbeddings.baseAddress, output: workspace.qkv)
            }
            TensorKernels.layerNorm(
                states, rows: rows, width: width,
                weight: embeddingNormWeight.baseAddress, bias: embeddingNormBias.baseAddress,
                epsilon: config.layerNormEpsilon)
            for layer in layers {
                layer.forward(states, rows: rows, sequences: sequences, workspace: workspace, positionBias: positionBias)
            }
        }
        return PackedHiddenStates(states: hidden, lengths: lengths)
    }

    /// Writes word[id] + position[pos] + tokenType[0] for every packed row (LayerNorm follows).
    private func sumEmbeddings(ids: [Int32], positions: [Int32], into states: UnsafeMutablePointer<Float>) {
        let width = config.hiddenSize
        let words = wordEmbeddings.baseAddress
        let places = positionEmbeddings.baseAddress
        let tokenType = tokenTypeEmbeddings.baseAddress
        ids.withUnsafeBufferPointer { ids in
            positions.withUnsafeBufferPointer { positions in
                ParallelRows.forEach(count: ids.count, costPerRow: width * 3) { range in
                    for row in range {
                        let word = words + Int(ids[row]) * width
                        let place = places + Int(positions[row]) * width
                        let line = states + row * width
                        for column in 0..<width {
                            line[column] = word[column] + tokenType[column] + place[column]
                        }
                    }
                }
            }
        }
    }
}
