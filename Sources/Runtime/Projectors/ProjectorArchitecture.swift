import Foundation

/// The shape of a ``PairProjector``: what the frozen encoders hand over, which branch kind
/// projects which tokens, and the widths.
///
/// **Vision.** With ``Input-swift.enum/tokens`` input each image is `T = 1 + visionRegisters +
/// patches` tokens (CLS first, then register tokens, which are skipped, then patches); the
/// embedding is mean over patches of ``visionLocal``(patch) + ``visionCLS``(CLS). A `none`
/// branch contributes nothing. With ``Input-swift.enum/pooled`` input ``visionCLS`` is applied
/// to the pooled image embedding and ``visionLocal`` must be `none`.
///
/// **Text.** With token input ``textToken`` is applied to every token of a sequence (special
/// tokens included) and the results are averaged over the sequence's real tokens; with pooled
/// input it is applied to the pooled text embedding. `none` and `identity` both pass the tokens
/// through unchanged. Then, when ``textHead`` is true, a ``TextProjectionHead``.
///
/// **Widths.** linear, mlp and token branches map their input width to ``outputWidth``
/// (hidden width = ``outputWidth``); identity keeps the width, so an identity vision branch
/// needs ``visionWidth`` = ``outputWidth``. The head's input is ``outputWidth``, or
/// ``textWidth`` when ``textToken`` is identity or none; without a head an identity or none text
/// branch needs ``textWidth`` = ``outputWidth``.
///
/// The paper's ablation (ImageNet top-1 zero-shot), all with token input:
/// 1. vision local token projector only (`visionLocal: .token`, `visionCLS: .none`,
///    `textToken: .identity`, `textHead: false`, text width = output width): 68.8;
/// 2. \+ text token projector and head (`textToken: .token`, `textHead: true`): 72.2;
/// 3. CLS projector instead of the local one (`visionLocal: .none`, `visionCLS: .token`): 75.5;
/// 4. all four (``paper(visionWidth:textWidth:outputWidth:)``): 76.1.
public struct ProjectorArchitecture: Codable, Sendable, Equatable {
    /// What the encoders provide per sample.
    public enum Input: String, Codable, Sendable, CaseIterable {
        /// Every token of the encoders' last hidden state.
        case tokens
        /// One pooled embedding per sample.
        case pooled
    }

    /// Token or pooled input.
    public var input: Input
    /// The vision encoder's width.
    public var visionWidth: Int
    /// The text encoder's width.
    public var textWidth: Int
    /// The shared embedding width (1,024 in the paper).
    public var outputWidth: Int
    /// Applied to each patch token, then averaged over patches (token input only).
    public var visionLocal: BranchKind
    /// Applied to the CLS token (token input) or to the pooled vision embedding.
    public var visionCLS: BranchKind
    /// Register tokens between CLS and the patches, skipped (token input only); 0 by default.
    public var visionRegisters: Int
    /// Applied to every text token (then masked mean) or to the pooled text embedding.
    public var textToken: BranchKind
    /// Whether a ``TextProjectionHead`` follows the text branch.
    public var textHead: Bool
    /// The dropout probability inside token branches and the head while training (0.1).
    public var dropout: Float

    /// Creates an architecture; call ``validate()`` before use (``PairProjector`` does).
    public init(
        input: Input, visionWidth: Int, textWidth: Int, outputWidth: Int = 1024,
        visionLocal: BranchKind, visionCLS: BranchKind, visionRegisters: Int = 0,
        textToken: BranchKind, textHead: Bool, dropout: Float = 0.1
    ) {
        self.input = input
        self.visionWidth = visionWidth
        self.textWidth = textWidth
        self.outputWidth = outputWidth
        self.visionLocal = visionLocal
        self.visionCLS = visionCLS
        self.visionRegisters = visionRegisters
        self.textToken = textToken
        self.textHead = textHead
        self.dropout = dropout
    }

    /// The paper's architecture: token input, token projectors on the patches, the CLS token and
    /// the text tokens, and the text head (≈ 11.5M parameters at widths 1,024).
    public static func paper(visionWidth: Int = 1024, textWidth: Int = 1024, outputWidth: Int = 1024) -> Self {
        Self(
            input: .tokens, visionWidth: visionWidth, textWidth: textWidth, outputWidth: outputWidth,
            visionLocal: .token, visionCLS: .token, textToken: .token, textHead: true)
    }

    /// A baseline on pooled embeddings: `kind` (linear or mlp) on each side, no head.
    public static func pooled(kind: BranchKind, visionWidth: Int, textWidth: Int, outputWidth: Int = 1024) -> Self {
        Self(
            input: .pooled, visionWidth: visionWidth, textWidth: textWidth, outputWidth: outputWidth,
            visionLocal: .none, visionCLS: kind, textToken: kind, textHead: false)
    }

    /// The output width of a branch of `kind` fed `width` values.
    static func branchOutputWidth(_ kind: BranchKind, inWidth: Int, outputWidth: Int) -> Int {
        kind == .identity || kind == .none ? inWidth : outputWidth
    }

    /// The width the text branch hands to the head (or out, without one).
    public var textTokenOutputWidth: Int {
        Self.branchOutputWidth(textToken, inWidth: textWidth, outputWidth: outputWidth)
    }

    /// Checks the rules in the type's description.
    ///
    /// - Throws: ``ProjectorArchitectureError`` naming the first problem found.
    public func validate() throws(ProjectorArchitectureError) {
        for (field, value) in [("visionWidth", visionWidth), ("textWidth", textWidth), ("outputWidth", outputWidth)] where value <= 0 {
            throw .nonPositiveWidth(field: field, value: value)
        }
        guard visionRegisters >= 0 else { throw .negativeRegisters(visionRegisters) }
        guard dropout >= 0 && dropout < 1 else { throw .dropoutOutOfRange(dropout) }
        if input == .pooled {
            if visionLocal != .none { throw .tokenOptionWithPooledInput(field: "visionLocal") }
            if visionRegisters != 0 { throw .tokenOptionWithPooledInput(field: "visionRegisters") }
        }
        guard visionLocal != .none || visionCLS != .none else { throw .noVisionBranch }
        for (name, kind) in [("visionLocal", visionLocal), ("visionCLS", visionCLS)] where kind == .identity && visionWidth != outputWidth {
            throw .identityWidthMismatch(branch: name, inWidth: visionWidth, outWidth: outputWidth)
        }
        if !textHead && textTokenOutputWidth != outputWidth {
            throw .textWidthMismatch(textWidth: textWidth, outputWidth: outputWidth)
        }
    }

    /// The architecture as JSON with sorted keys and no whitespace: the same architecture always
    /// gives the same text.
    public var jsonString: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, integers, booleans and a float cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes ``jsonString`` output (or hand-written JSON with the same keys; `visionRegisters`
    /// and `dropout` may be left out) and validates it.
    ///
    /// - Throws: ``ProjectorArchitectureError/malformedJSON(reason:)`` or a validation error.
    public init(json: String) throws(ProjectorArchitectureError) {
        let decoded: ProjectorArchitecture
        do {
            decoded = try JSONDecoder().decode(ProjectorArchitecture.self, from: Data(json.utf8))
        } catch {
            throw .malformedJSON(reason: Self.describe(error))
        }
        try decoded.validate()
        self = decoded
    }

    private enum CodingKeys: String, CodingKey {
        case input, visionWidth, textWidth, outputWidth, visionLocal, visionCLS, visionRegisters, textToken, textHead, dropout
    }

    /// Decodes every key; `visionRegisters` defaults to 0 and `dropout` to 0.1 when absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        input = try container.decode(Input.self, forKey: .input)
        visionWidth = try container.decode(Int.self, forKey: .visionWidth)
        textWidth = try container.decode(Int.self, forKey: .textWidth)
        outputWidth = try container.decode(Int.self, forKey: .outputWidth)
        visionLocal = try container.decode(BranchKind.self, forKey: .visionLocal)
        visionCLS = try container.decode(BranchKind.self, forKey: .visionCLS)
        visionRegisters = try container.decodeIfPresent(Int.self, forKey: .visionRegisters) ?? 0
        textToken = try container.decode(BranchKind.self, forKey: .textToken)
        textHead = try container.decode(Bool.self, forKey: .textHead)
        dropout = try container.decodeIfPresent(Float.self, forKey: .dropout) ?? 0.1
    }

    /// A short account of a decoding error: what was wrong and at which key.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.isEmpty ? "" : " at '" + context.codingPath.map(\.stringValue).joined(separator: ".") + "'"
        }
        switch error {
        case .keyNotFound(let key, _):
            return "missing key '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.debugDescription + path(context)
        @unknown default:
            return String(describing: error)
        }
    }
}
