/// A token of Hugging Face's added vocabulary (`added_tokens`): found in the text as a whole
/// before the rest is split, and given its id directly.
struct AddedToken: Sendable, Equatable {
    /// The text that stands for the token.
    let content: String
    /// The token's id.
    let id: Int32
    /// Match only when not inside a word.
    var singleWord = false
    /// Also swallow the whitespace just before a match.
    var leftStrip = false
    /// Also swallow the whitespace just after a match.
    var rightStrip = false
    /// Match in normalized text (`content` is normalized too) rather than in the raw text.
    var normalized = false
    /// Whether it is a special token such as `[CLS]`.
    var special = false
}
