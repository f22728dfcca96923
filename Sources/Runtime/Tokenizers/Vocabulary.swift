/// A model's vocabulary as read from a file: tokens with ids, in file order, with lookup by
/// token text.
struct Vocabulary: Sendable {
    /// Every entry, in file order.
    let entries: [(token: String, id: Int32)]
    /// Id by token; a later duplicate wins.
    private let ids: [String: Int32]

    /// A vocabulary of `entries`.
    init(entries: [(token: String, id: Int32)]) {
        self.entries = entries
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(entries.count)
        for entry in entries {
            ids[entry.token] = entry.id
        }
        self.ids = ids
    }

    /// The id of `token`, or nil.
    func id(of token: String) -> Int32? {
        ids[token]
    }

    /// One more than the largest id (0 when empty).
    var size: Int {
        Int(entries.map(\.id).max() ?? -1) + 1
    }

    /// Reads a JSON object of token → id (`model.vocab` of tokenizer.json, or vocab.json).
    static func read(_ json: StrictJSON, file: String, path: String) throws(TokenizerError) -> Vocabulary {
        guard let members = json.members else {
            throw .invalidContent(file: file, reason: "\(path) is not a JSON object of token ids")
        }
        var entries: [(token: String, id: Int32)] = []
        entries.reserveCapacity(members.count)
        for (token, value) in members {
            guard let id = value.integer, let id32 = Int32(exactly: id), id32 >= 0 else {
                throw .invalidContent(file: file, reason: "\(path) gives \(token) an id that is not a non-negative integer")
            }
            entries.append((token, id32))
        }
        return Vocabulary(entries: entries)
    }
}
