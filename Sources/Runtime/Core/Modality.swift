/// Which side of a pair an encoder serves: the catalog's column, a backend's kind and the
/// `--modality` option are all this one type.
public enum Modality: String, Codable, Sendable, CaseIterable {
    case vision
    case text
}
