/// What a dataset is used for.
public enum DatasetTask: String, CaseIterable, Sendable, Codable {
    /// Image–caption pairs for contrastive training.
    case pairs
    /// Images with integer labels (zero-shot or linear-probe classification).
    case classification
    /// Images with one or more captions each, for image↔text retrieval.
    case retrieval
}
