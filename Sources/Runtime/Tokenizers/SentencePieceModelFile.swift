import Foundation

/// A SentencePiece model file (`spiece.model`, the `ModelProto` protocol buffer), read without a
/// protobuf library: the pieces with their scores and types, the trainer's model type, unknown id
/// and byte fallback, and the normalizer spec. Anything else in the file is skipped.
struct SentencePieceModelFile: Sendable {
    /// A piece's `type`.
    enum PieceType: Int, Sendable {
        case normal = 1
        case unknown = 2
        case control = 3
        case userDefined = 4
        case unused = 5
        case byte = 6
    }

    /// One vocabulary entry; its id is its place in ``pieces``.
    struct Piece: Sendable {
        var piece: String
        var score: Float
        var type: PieceType
    }

    var pieces: [Piece] = []
    /// `trainer_spec.model_type`: 1 Unigram, 2 BPE, 3 word, 4 char.
    var modelType = 1
    var unknownID = 0
    var byteFallback = false
    var treatWhitespaceAsSuffix = false
    /// `normalizer_spec.name`, for example `nmt_nfkc`.
    var normalizerName = ""
    /// `normalizer_spec.precompiled_charsmap`: the normalization rules (empty for `identity`).
    var charsmap: [UInt8] = []
    var addDummyPrefix = true
    var removeExtraWhitespaces = true
    var escapeWhitespaces = true

    /// Reads the file at `url`.
    ///
    /// - Throws: ``TokenizerError/unreadableFile(file:reason:)`` when it cannot be read, or
    ///   ``TokenizerError/invalidContent(file:reason:)`` naming what is malformed.
    init(url: URL) throws(TokenizerError) {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw .unreadableFile(file: url.path, reason: error.localizedDescription)
        }
        let file = url.path
        var reader = ProtobufReader(bytes: bytes[...], file: file)
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, 2):
                var piece = Piece(piece: "", score: 0, type: .normal)
                var inner = ProtobufReader(bytes: try reader.lengthDelimited(), file: file)
                while let (pieceField, pieceWire) = try inner.nextField() {
                    switch (pieceField, pieceWire) {
                    case (1, 2):
                        let raw = try inner.lengthDelimited()
                        guard let text = String(validating: raw, as: UTF8.self) else {
                            throw .invalidContent(file: file, reason: "piece \(pieces.count) is not UTF-8")
                        }
                        piece.piece = text
                    case (2, 5):
                        piece.score = Float(bitPattern: try inner.fixed32())
                    case (3, 0):
                        let code = Int(try inner.varint())
                        guard let type = PieceType(rawValue: code) else {
                            throw .invalidContent(file: file, reason: "piece \(pieces.count) has unknown type \(code)")
                        }
                        piece.type = type
                    default:
                        try inner.skip(wire: pieceWire)
                    }
                }
                guard piece.score.isFinite else {
                    throw .invalidContent(file: file, reason: "piece \(pieces.count) (\(piece.piece)) has a score that is not finite")
                }
                pieces.append(piece)
            case (2, 2):
                var inner = ProtobufReader(bytes: try reader.lengthDelimited(), file: file)
                while let (specField, specWire) = try inner.nextField() {
                    switch (specField, specWire) {
                    case (3, 0): modelType = Int(try inner.varint())
                    case (24, 0): treatWhitespaceAsSuffix = try inner.varint() != 0
                    case (35, 0): byteFallback = try inner.varint() != 0
                    case (40, 0): unknownID = Int(Int32(truncatingIfNeeded: try inner.varint()))
                    default: try inner.skip(wire: specWire)
                    }
                }
            case (3, 2):
                var inner = ProtobufReader(bytes: try reader.lengthDelimited(), file: file)
                while let (specField, specWire) = try inner.nextField() {
                    switch (specField, specWire) {
                    case (1, 2): normalizerName = String(decoding: try inner.lengthDelimited(), as: UTF8.self)
                    case (2, 2): charsmap = Array(try inner.lengthDelimited())
                    case (3, 0): addDummyPrefix = try inner.varint() != 0
                    case (4, 0): removeExtraWhitespaces = try inner.varint() != 0
                    case (5, 0): escapeWhitespaces = try inner.varint() != 0
                    default: try inner.skip(wire: specWire)
                    }
                }
            default:
                try reader.skip(wire: wire)
            }
        }
        guard !pieces.isEmpty else { throw .invalidContent(file: file, reason: "the model has no pieces") }
        guard (0..<pieces.count).contains(unknownID), pieces[unknownID].type == .unknown else {
            throw .invalidContent(file: file, reason: "trainer_spec.unk_id \(unknownID) is not the id of the unknown piece")
        }
    }
}

/// The protocol buffer wire format, as much of it as a `ModelProto` needs.
struct ProtobufReader {
    private var bytes: ArraySlice<UInt8>
    private let file: String

    init(bytes: ArraySlice<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// The next field's number and wire type, nil at the end.
    mutating func nextField() throws(TokenizerError) -> (Int, Int)? {
        guard !bytes.isEmpty else { return nil }
        let key = try varint()
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func varint() throws(TokenizerError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first {
            bytes.removeFirst()
            guard shift < 64 else { break }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw .invalidContent(file: file, reason: "a protocol buffer varint runs past the end or past 64 bits")
    }

    mutating func fixed32() throws(TokenizerError) -> UInt32 {
        guard bytes.count >= 4 else { throw .invalidContent(file: file, reason: "a 32-bit protocol buffer field is cut short") }
        let start = bytes.startIndex
        let value = UInt32(bytes[start]) | UInt32(bytes[start + 1]) << 8 | UInt32(bytes[start + 2]) << 16 | UInt32(bytes[start + 3]) << 24
        bytes.removeFirst(4)
        return value
    }

    mutating func lengthDelimited() throws(TokenizerError) -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.count) else {
            throw .invalidContent(file: file, reason: "a protocol buffer field of \(length) bytes runs past the end of the file")
        }
        let value = bytes.prefix(Int(length))
        bytes.removeFirst(Int(length))
        return value
    }

    /// Skips a field of wire type `wire`.
    mutating func skip(wire: Int) throws(TokenizerError) {
        switch wire {
        case 0: _ = try varint()
        case 1:
            guard bytes.count >= 8 else { throw .invalidContent(file: file, reason: "a 64-bit protocol buffer field is cut short") }
            bytes.removeFirst(8)
        case 2: _ = try lengthDelimited()
        case 5: _ = try fixed32()
        default: throw .invalidContent(file: file, reason: "protocol buffer wire type \(wire) is not one a SentencePiece model uses")
        }
    }
}
