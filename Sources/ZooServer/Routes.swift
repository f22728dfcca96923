import Foundation
import Hummingbird
import Registry
import Runtime
import ZooKit

/// The HTTP routes: request checks, then the model's batch queues.
struct Routes: Sendable {
    let pool: ModelPool
    let metrics: ServerMetrics
    let configuration: ServerConfiguration

    func register(on router: Router<ZooRequestContext>) {
        router.post("/v1/embeddings") { request, context in try await self.embeddings(request, client: context.clientConnected) }
        router.post("/v1/classify") { request, context in try await self.classify(request, client: context.clientConnected) }
        router.post("/v1/search") { request, context in try await self.search(request, client: context.clientConnected) }
        router.get("/v1/models") { _, _ in try await self.models() }
        router.get("/health") { _, _ in Self.json(["status": "ok"]) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: self.metrics.text())))
        }
    }

    // MARK: Routes

    func embeddings(_ request: Request, client: ClientProbe = .always) async throws -> Response {
        let body = try await Self.decode(EmbeddingsRequest.self, request, limit: configuration.maxBodyBytes)
        guard body.encodingFormat == nil || ["float", "base64"].contains(body.encodingFormat!) else {
            throw APIError.invalid("'encoding_format' must be \"float\" or \"base64\"", param: "encoding_format")
        }
        guard body.modality == nil || ["text", "image"].contains(body.modality!) else {
            throw APIError.invalid("'modality' must be \"text\" or \"image\"", param: "modality")
        }
        let inputs = body.input.values
        try checkCount(inputs.count, param: "input")
        let model = try await pool.model(body.model)
        if let dimensions = body.dimensions, dimensions != model.width {
            throw APIError.invalid("'\(model.id)' gives \(model.width) dimensions; drop 'dimensions' or set it to \(model.width)", param: "dimensions")
        }
        let rows: [[Float]]
        var tokens = 0
        if body.modality == "image" {
            guard let queue = model.images, let preprocessor = model.preprocessor else {
                throw APIError.invalid("'\(model.id)' does not take images; set 'modality' to \"text\"", param: "modality")
            }
            let images = try Self.images(inputs, preprocessor: preprocessor, param: "input")
            rows = try await queue.submit(images, retryAfter: configuration.retryAfterSeconds, client: client)
        } else {
            guard let queue = model.texts else {
                throw APIError.invalid("'\(model.id)' does not take text; set 'modality' to \"image\" and send images", param: "modality")
            }
            try checkTexts(inputs, param: "input")
            let ids = inputs.map(model.tokenize)
            tokens = ids.reduce(0) { $0 + $1.count }
            rows = try await queue.submit(ids, retryAfter: configuration.retryAfterSeconds, client: client)
        }
        return Self.embeddingsResponse(rows, model: model.id, tokens: tokens, base64: body.encodingFormat == "base64")
    }

    func classify(_ request: Request, client: ClientProbe = .always) async throws -> Response {
        let body = try await Self.decode(ClassifyRequest.self, request, limit: configuration.maxBodyBytes)
        try checkCount(body.images.count, param: "images")
        guard (1...1_000).contains(body.labels.count) else {
            throw APIError.invalid("'labels' needs 1 to 1000 names", param: "labels")
        }
        try checkTexts(body.labels, param: "labels")
        guard Set(body.labels).count == body.labels.count else {
            throw APIError.invalid("'labels' lists a name twice", param: "labels")
        }
        let templates = body.templates ?? [LabelCaptioner.defaultTemplate]
        guard (1...100).contains(templates.count) else { throw APIError.invalid("'templates' needs 1 to 100 templates", param: "templates") }
        for (index, template) in templates.enumerated() where !template.contains("{c}") {
            throw APIError.invalid("'templates[\(index)]' has no {c} for the class name", param: "templates[\(index)]")
        }
        let top = body.topK ?? min(5, body.labels.count)
        guard top >= 1 else { throw APIError.invalid("'top_k' must be at least 1", param: "top_k") }
        let model = try await pool.model(body.model)
        guard case .pair(let pair) = model.kind, let texts = model.texts, let queue = model.images, let preprocessor = model.preprocessor else {
            throw APIError.invalid("'\(model.id)' is not a trained pair that takes images; classify needs VISION+TEXT[@TAG]", param: "model")
        }
        let images = try Self.images(body.images, preprocessor: preprocessor, param: "images")
        let prompts = body.labels.flatMap { name in templates.map { $0.replacingOccurrences(of: "{c}", with: name) } }
        let promptRows = try await texts.submit(prompts.map(model.tokenize), retryAfter: configuration.retryAfterSeconds, client: client)
        let classes = EmbeddingMatrix(values: promptRows.flatMap { $0 }, rows: prompts.count, width: model.width)
            .classEmbeddings(promptsPerClass: templates.count)
        let classifier = ZeroShotClassifier(classNames: body.labels, classes: classes, logitScale: pair.logitScale)
        let rows = try await queue.submit(images, retryAfter: configuration.retryAfterSeconds, client: client)
        let labels = classifier.labels(for: EmbeddingMatrix(values: rows.flatMap { $0 }, rows: rows.count, width: model.width), top: top)
        let data = labels.enumerated().map { index, labels in
            ClassifyResponse.Item(index: index, labels: labels.map { .init(label: $0.name, index: $0.index, score: $0.score, probability: $0.probability) })
        }
        return try Self.json(ClassifyResponse(model: model.id, data: data))
    }

    func search(_ request: Request, client: ClientProbe = .always) async throws -> Response {
        let body = try await Self.decode(SearchRequest.self, request, limit: configuration.maxBodyBytes)
        guard (body.text == nil) != (body.image == nil) else {
            throw APIError.invalid("send 'text' or 'image', one of the two", param: body.text == nil ? "text" : "image")
        }
        let k = body.k ?? 10
        guard (1...10_000).contains(k) else { throw APIError.invalid("'k' must be between 1 and 10000", param: "k") }
        let index = try await pool.index(body.index)
        let model = try await pool.model(index.summary.pair, param: "index")
        let row: [Float]
        if let text = body.text {
            try checkTexts([text], param: "text")
            guard let queue = model.texts else { throw APIError.invalid("the index's model takes no text", param: "text") }
            row = try await queue.submit([model.tokenize(text)], retryAfter: configuration.retryAfterSeconds, client: client)[0]
        } else {
            guard let queue = model.images, let preprocessor = model.preprocessor else {
                throw APIError.invalid("the index's model takes no images", param: "image")
            }
            row = try await queue.submit(try Self.images([body.image!], preprocessor: preprocessor, param: "image"), retryAfter: configuration.retryAfterSeconds, client: client)[0]
        }
        let hits = try index.search(EmbeddingMatrix(values: row, rows: 1, width: row.count), k: k)[0]
        return try Self.json(SearchResponse(index: index.summary.name, model: model.id, data: hits.map { .init(rank: $0.rank, id: $0.id, score: $0.score) }))
    }

    func models() async throws -> Response {
        do { return try Self.json(ModelsResponse(data: try await pool.catalogModels())) } catch let error as any ReportableError {
            throw APIError.from(error, param: nil)
        }
    }

    // MARK: Checks

    private func checkCount(_ count: Int, param: String) throws {
        guard (1...configuration.maxInputsPerRequest).contains(count) else {
            throw APIError.invalid("'\(param)' needs 1 to \(configuration.maxInputsPerRequest) entries, got \(count)", param: param)
        }
    }

    private func checkTexts(_ texts: [String], param: String) throws {
        for (index, text) in texts.enumerated() {
            let field = texts.count == 1 && param != "labels" ? param : "\(param)[\(index)]"
            guard !text.isEmpty else { throw APIError.invalid("'\(field)' is empty", param: field) }
            guard text.count <= configuration.maxTextCharacters else {
                throw APIError.invalid("'\(field)' has \(text.count) characters; at most \(configuration.maxTextCharacters)", param: field)
            }
        }
    }

    /// Decodes base64 images (bare, or `data:image/…;base64,` URIs) with the CLI's limits.
    static func images(_ inputs: [String], preprocessor: ImagePreprocessor, param: String) throws -> [RGBImage] {
        try inputs.enumerated().map { index, text in
            let field = inputs.count == 1 && param == "image" ? param : "\(param)[\(index)]"
            var payload = Substring(text)
            if payload.hasPrefix("data:") {
                guard let comma = payload.firstIndex(of: ","), payload[..<comma].hasSuffix(";base64") else {
                    throw APIError.invalid("'\(field)' is a data URI without ';base64,'", param: field)
                }
                payload = payload[payload.index(after: comma)...]
            }
            guard let bytes = Data(base64Encoded: String(payload)), !bytes.isEmpty else {
                throw APIError.invalid("'\(field)' is not base64 image data (or a data:image/…;base64, URI)", param: field)
            }
            do { return try preprocessor.decoder.decode(bytes: Array(bytes), name: field) } catch let error as ImageError {
                throw APIError.invalid("'\(field)': \(error.description)", param: field)
            }
        }
    }

    // MARK: Encoding

    static func decode<Value: Decodable>(_ type: Value.Type, _ request: Request, limit: Int) async throws -> Value {
        let buffer = try await request.body.collect(upTo: limit)
        return try RequestDecoding.decode(Value.self, from: Data(buffer.readableBytesView))
    }

    static func json<Value: Encodable>(_ value: Value) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(_ value: [String: String]) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The `/v1/embeddings` answer, written directly: each Float as its shortest round-trip
    /// decimal (what JSONEncoder writes, at a fraction of its cost on Linux).
    static func embeddingsResponse(_ rows: [[Float]], model: String, tokens: Int, base64: Bool) -> Response {
        var text = "{\"object\":\"list\",\"data\":["
        text.reserveCapacity(rows.count * ((rows.first?.count ?? 0) * 12 + 64) + 256)
        for (index, row) in rows.enumerated() {
            if index > 0 { text += "," }
            text += "{\"object\":\"embedding\",\"index\":\(index),\"embedding\":"
            if base64 {
                text += "\"" + Self.base64(row) + "\""
            } else {
                text += "["
                for (position, value) in row.enumerated() {
                    if position > 0 { text += "," }
                    text += value.isFinite ? value.description : "0"
                }
                text += "]"
            }
            text += "}"
        }
        let name = (try? JSONEncoder().encode(model)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        text += "],\"model\":\(name),\"usage\":{\"prompt_tokens\":\(tokens),\"total_tokens\":\(tokens)}}"
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Little-endian F32 bytes, base64 (OpenAI's `encoding_format: "base64"`).
    static func base64(_ row: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(row.count * 4)
        for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        return Data(bytes).base64EncodedString()
    }
}
