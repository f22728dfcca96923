/// The special tokens a post-processor puts around a single sequence, such as
/// `[CLS] A [SEP]` or `<s> A </s>`.
struct SpecialTokenTemplate: Sendable, Equatable {
    /// Ids before the text.
    let prefix: [Int32]
    /// Ids after the text.
    let suffix: [Int32]

    /// No special tokens.
    static let none = SpecialTokenTemplate(prefix: [], suffix: [])

    /// Number of special tokens added.
    var count: Int { prefix.count + suffix.count }

    /// `inner` placed inside the outer template: outer prefix, own prefix, text, own suffix,
    /// outer suffix.
    func wrapped(by outer: SpecialTokenTemplate) -> SpecialTokenTemplate {
        SpecialTokenTemplate(prefix: outer.prefix + prefix, suffix: suffix + outer.suffix)
    }

    /// `content` with the special tokens around it.
    func apply(to content: ArraySlice<Int32>) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(count + content.count)
        ids.append(contentsOf: prefix)
        ids.append(contentsOf: content)
        ids.append(contentsOf: suffix)
        return ids
    }
}
