import Runtime

/// Where a BERT-family checkpoint keeps the tensors of its layers, and which optional parts it
/// has: what sets MPNet's layout apart from BERT's and RoBERTa's, given once per architecture.
public struct TransformerLayout: Sendable, Equatable {
    /// The scope of a layer's query, key and value linears, under `encoder.layer.N`.
    public var attentionScope: String
    /// The query, key and value linears' names under ``attentionScope``.
    public var queryKeyValue: [String]
    /// The attention output linear, under `encoder.layer.N`.
    public var attentionOutput: String
    /// The LayerNorm after attention, under `encoder.layer.N`.
    public var attentionNorm: String
    /// Whether the embeddings have a token-type table (BERT and RoBERTa do, MPNet does not).
    public var tokenTypes: Bool
    /// The relative-position bias table `[buckets, heads]` shared by every layer, when the model
    /// has one (MPNet: `encoder.relative_attention_bias.weight`).
    public var relativeAttentionBias: String?

    /// BERT's and RoBERTa's names: `attention.self.{query,key,value}`, `attention.output.dense`,
    /// `attention.output.LayerNorm`, token types, no relative positions.
    public static let bert = TransformerLayout(
        attentionScope: "attention.self", queryKeyValue: ["query", "key", "value"],
        attentionOutput: "attention.output.dense", attentionNorm: "attention.output.LayerNorm",
        tokenTypes: true, relativeAttentionBias: nil)

    /// MPNet's: `attention.attn.{q,k,v,o}`, `attention.LayerNorm`, no token types, a relative
    /// position bias added to every layer's attention scores.
    public static let mpnet = TransformerLayout(
        attentionScope: "attention.attn", queryKeyValue: ["q", "k", "v"],
        attentionOutput: "attention.attn.o", attentionNorm: "attention.LayerNorm",
        tokenTypes: false, relativeAttentionBias: "encoder.relative_attention_bias.weight")
}
