import Foundation
import Runtime

/// The backends that ship inside zoo.
public enum BuiltinBackends {
    /// Every built-in backend, in id order.
    public static let all: [any EncoderBackend] = [
        SentenceTransformerBackend(
            id: "bert", modelTypes: ["bert"],
            summary: "BERT sentence encoders (sentence-transformers layout), native on OpenBLAS"),
        Dinov2Backend(),
        SentenceTransformerBackend(
            id: "roberta", modelTypes: ["roberta", "xlm-roberta"],
            summary: "RoBERTa sentence encoders (sentence-transformers layout), native on OpenBLAS"),
    ]

    /// Registers the built-in backends with `EncoderBackends`.
    public static func bootstrap() {
        EncoderBackends.bootstrap(all)
    }
}
