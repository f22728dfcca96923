import Foundation

/// The concepts of a curation run, read from a concepts file.
///
/// One concept per line, either a plain name (`golden retriever`) or a JSON object
/// `{"concept": NAME, "examples": [TEXT, …]}` (a line starting with `{`); `examples` is optional.
/// Blank lines and lines starting with `#` are skipped. Names are trimmed, must not be empty and
/// must not repeat (compared case-insensitively). A concept's prototype is the mean of its
/// examples' normalised text embeddings, or, without examples, the embedding of its name in the
/// template (`a photo of a {c}.` by default).
public struct ConceptList: Sendable, Equatable {
    /// One concept.
    public struct Concept: Sendable, Equatable {
        /// The name, as written in the manifest.
        public var name: String
        /// Example texts; empty when the name alone defines the prototype.
        public var examples: [String]
        /// The 1-based line it was read from.
        public var line: Int

        /// Creates a concept.
        public init(name: String, examples: [String] = [], line: Int = 0) {
            self.name = name
            self.examples = examples
            self.line = line
        }

        /// The texts whose embeddings average to the prototype: the examples, or the name in
        /// `template` (its `{c}` replaced).
        public func prototypeTexts(template: String) -> [String] {
            examples.isEmpty ? [template.replacingOccurrences(of: "{c}", with: name)] : examples
        }
    }

    /// The concepts in file order.
    public var concepts: [Concept]

    /// Wraps `concepts`.
    public init(concepts: [Concept]) { self.concepts = concepts }

    private struct Line: Decodable {
        var concept: String
        var examples: [String]?
    }

    /// Reads the concepts file at `path`.
    ///
    /// - Throws: ``CurationError`` `.noInput` when the file is missing or unreadable, `.data` for
    ///   a bad line (naming `path:line`), non-UTF-8 text or a file without concepts.
    public static func read(path: String) throws(CurationError) -> ConceptList {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CurationError(.noInput, "concepts file '\(path)' does not exist; check the path")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CurationError(.noInput, "concepts file '\(path)' cannot be read; check its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CurationError(.data, "concepts file '\(path)' is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// Parses the text of a concepts file; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(CurationError) -> ConceptList {
        var concepts: [Concept] = []
        var firstLine: [String: Int] = [:]
        let decoder = JSONDecoder()
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let place = "\(file):\(number)"
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var concept: Concept
            if line.hasPrefix("{") {
                let parsed: Line
                do { parsed = try decoder.decode(Line.self, from: Data(line.utf8)) } catch {
                    throw CurationError(.data, "\(place): \(reason(error)); expected {\"concept\": NAME, \"examples\": [TEXT, …]}")
                }
                concept = Concept(name: parsed.concept.trimmingCharacters(in: .whitespacesAndNewlines), examples: parsed.examples ?? [], line: number)
                if let bad = concept.examples.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                    throw CurationError(.data, "\(place): example \(bad + 1) of '\(concept.name)' is empty")
                }
            } else {
                concept = Concept(name: line, line: number)
            }
            guard !concept.name.isEmpty else { throw CurationError(.data, "\(place): the concept name is empty") }
            if let first = firstLine[concept.name.lowercased()] {
                throw CurationError(.data, "\(place): the concept '\(concept.name)' was already defined on line \(first)")
            }
            firstLine[concept.name.lowercased()] = number
            concepts.append(concept)
        }
        guard !concepts.isEmpty else {
            throw CurationError(.data, "concepts file '\(file)' holds no concepts (one name a line, or {\"concept\": NAME, \"examples\": [TEXT, …]})")
        }
        return ConceptList(concepts: concepts)
    }

    private static func reason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "bad JSON" }
        switch error {
        case .keyNotFound(let key, _): return "no \"\(key.stringValue)\" field"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let key = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            if key.isEmpty { return "not a JSON object" }
            return key.hasPrefix("examples") ? "\"examples\" must be an array of strings" : "\"\(key)\" must be a string"
        case .dataCorrupted: return "bad JSON"
        @unknown default: return "bad JSON"
        }
    }
}

extension EmbeddingMatrix {
    /// Prototypes from grouped rows: rows are taken in groups of `counts[g]`, and each group's
    /// prototype is the mean of its L2-normalised rows, normalised again.
    ///
    /// - Precondition: every count is at least 1 and they add up to ``rows``.
    public func groupMeans(counts: [Int]) -> EmbeddingMatrix {
        precondition(counts.allSatisfy { $0 >= 1 } && counts.reduce(0, +) == rows, "EmbeddingMatrix: groups of \(counts) do not cover \(rows) rows")
        let unit = normalized()
        var means = [Float](repeating: 0, count: counts.count * width)
        var row = 0
        for (group, count) in counts.enumerated() {
            for member in row..<(row + count) {
                for column in 0..<width { means[group * width + column] += unit.values[member * width + column] }
            }
            row += count
        }
        return EmbeddingMatrix(values: means, rows: counts.count, width: width).normalized()
    }
}
