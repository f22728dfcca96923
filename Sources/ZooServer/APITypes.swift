import Foundation

/// `POST /v1/embeddings`, OpenAI's shape plus `modality`.
struct EmbeddingsRequest: Decodable {
    /// One input or several.
    enum Input: Decodable {
        case one(String)
        case many([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .one(text)
            } else if let texts = try? container.decode([String].self) {
                self = .many(texts)
            } else {
                throw DecodingError.typeMismatch(
                    [String].self,
                    .init(codingPath: decoder.codingPath, debugDescription: "must be a string or an array of strings (token arrays are not taken)"))
            }
        }

        var values: [String] {
            switch self {
            case .one(let value): return [value]
            case .many(let values): return values
            }
        }
    }

    var model: String
    var input: Input
    var encodingFormat: String?
    var modality: String?
    var dimensions: Int?
    var user: String?

    enum CodingKeys: String, CodingKey {
        case model, input, modality, dimensions, user
        case encodingFormat = "encoding_format"
    }
}

/// `POST /v1/classify`: images against labels (or class names with templates).
struct ClassifyRequest: Decodable {
    var model: String
    var images: [String]
    var labels: [String]
    var templates: [String]?
    var topK: Int?

    enum CodingKeys: String, CodingKey {
        case model, images, labels, templates
        case topK = "top_k"
    }
}

struct ClassifyResponse: Encodable {
    struct Label: Encodable {
        var label: String
        var index: Int
        var score: Float
        var probability: Float
    }

    struct Item: Encodable {
        var index: Int
        var labels: [Label]
    }

    var object = "list"
    var model: String
    var data: [Item]
}

/// `POST /v1/search`: a text or an image against a named index.
struct SearchRequest: Decodable {
    var index: String
    var text: String?
    var image: String?
    var k: Int?
}

struct SearchResponse: Encodable {
    struct Hit: Encodable {
        var rank: Int
        var id: String
        var score: Float
    }

    var object = "list"
    var index: String
    var model: String
    var data: [Hit]
}

/// `GET /v1/models`.
struct ModelsResponse: Encodable {
    struct Model: Encodable {
        var id: String
        var object = "model"
        var ownedBy = "zoo"
        var kind: String
        var modality: String?
        var width: Int?

        init(id: String, kind: String, modality: String?, width: Int?) {
            self.id = id
            self.kind = kind
            self.modality = modality
            self.width = width
        }

        enum CodingKeys: String, CodingKey {
            case id, object, kind, modality, width
            case ownedBy = "owned_by"
        }
    }

    var object = "list"
    var data: [Model]
}

/// Decodes request bodies, turning every failure into a 400 that names the field.
enum RequestDecoding {
    static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                throw APIError.invalid("the body is not valid JSON; send one JSON object", param: nil)
            case .typeMismatch(_, let context) where context.codingPath.isEmpty:
                throw APIError.invalid("the body must be a JSON object", param: nil)
            case .keyNotFound(let key, let context):
                let field = path(context.codingPath + [key])
                throw APIError.invalid("'\(field)' is required", param: field)
            case .typeMismatch(let expected, let context):
                let field = path(context.codingPath)
                throw APIError.invalid("'\(field)' \(context.debugDescription.hasPrefix("must") ? context.debugDescription : "has the wrong type (expected \(describe(expected)))")", param: field)
            case .valueNotFound(let expected, let context):
                let field = path(context.codingPath)
                throw APIError.invalid("'\(field)' must not be null (expected \(describe(expected)))", param: field)
            case .dataCorrupted(let context):
                let field = path(context.codingPath)
                throw APIError.invalid("'\(field)' is not valid: \(context.debugDescription)", param: field)
            @unknown default:
                throw APIError.invalid("the body could not be read as this request", param: nil)
            }
        }
    }

    /// `input[2]`, `query.text`.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is [String].Type: return "an array of strings"
        default: return "\(type)"
        }
    }
}
