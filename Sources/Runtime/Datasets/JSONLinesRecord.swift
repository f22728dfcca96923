/// The fields of one JSON Lines record that readers use; other fields are ignored.
struct JSONLinesRecord: Decodable {
    /// A string or an integer (ids).
    enum Scalar: Decodable {
        case string(String)
        case integer(Int)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) {
                self = .integer(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected a string or an integer")
            }
        }
    }

    var image: String?
    var caption: String?
    var captions: [String]?
    var label: Scalar?
    var id: Scalar?
}
