import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Registry
import Runtime
import Testing
import ZooKit

/// `zoo serve` as a real process on a loopback port: every route, the errors, auth, shutdown.
@Suite("zoo serve", .serialized)
struct CLIServeTests {
    /// A home with dino + tiny-bert, a pair trained on a Fashion-MNIST subset, an index of 24
    /// test images and those images as PNG files.
    static func prepareHome(_ zoo: ZooRunner) throws -> URL {
        let train = zoo.scratch.appendingPathComponent("train")
        let pngs = zoo.scratch.appendingPathComponent("pngs")
        try TrainingFixtures.subset(count: 128, into: train)
        try CLIPairInferenceTests.exportPNGs(count: 24, into: pngs)
        try #require(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        try #require(try zoo.run(["encoder", "add", "tb", "--from", ZooRunner.fixtures.appendingPathComponent("models/tiny-bert").path]).status == 0)
        try #require(try zoo.run(["dataset", "add", "fm", "--path", train.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
                                  "--captions-from-labels", TrainingFixtures.captionTemplates]).status == 0)
        let trained = try zoo.run(["train", "dino+tb", "--data", "fm", "--epochs", "2", "--batch", "32", "--dim", "16"])
        try #require(trained.status == 0, "\(trained.stderr)")
        try #require(try zoo.run(["index", "build", "dino+tb", "--images", pngs.path, "--name", "pngs"]).status == 0)
        return pngs
    }

    private static func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
    }

    private static func errorParam(_ data: Data) throws -> (type: String?, param: String?, message: String) {
        let error = try #require(try object(data)["error"] as? [String: Any])
        return (error["type"] as? String, error["param"] as? String, error["message"] as? String ?? "")
    }

    private struct Embeddings: Decodable {
        struct Item: Decodable { var index: Int; var embedding: [Float] }
        var data: [Item]
        var model: String
    }

    @Test("every route answers; embeddings equal the library's bits; bad input is a 4xx naming the field")
    func routesAndErrors() async throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = ZooRunner()
        let pngs = try Self.prepareHome(zoo)
        let server = try ServerProcess(zoo: zoo, arguments: ["--max-body", "65536", "--preload", "dino+tb"])
        defer { server.stop() }

        let health = try await server.request("GET", "health")
        let healthBody = try Self.object(health.body)
        #expect(health.status == 200 && healthBody["status"] as? String == "ok")

        // Texts through the pair: the same bits as AlignedPair; usage counts the tokens.
        let texts = ["a photo of a bag", "a photo of a sneaker", "an ankle boot"]
        let embedded = try await server.request("POST", "v1/embeddings", json: ["model": "dino+tb", "input": texts])
        try #require(embedded.status == 200, "\(String(decoding: embedded.body, as: UTF8.self))")
        let decoded = try JSONDecoder().decode(Embeddings.self, from: embedded.body)
        let library = try ModelZoo(home: ZooHome(url: zoo.home))
        let pair = try AlignedPair.load(zoo: library, pair: try PairReference(parsing: "dino+tb"))
        #expect(decoded.model == "dino+tb@v1" && decoded.data.map(\.index) == [0, 1, 2])
        #expect(decoded.data.flatMap(\.embedding) == (try pair.embed(texts: texts)).values)
        let usage = try #require(try Self.object(embedded.body)["usage"] as? [String: Int])
        #expect(usage["prompt_tokens"] == texts.reduce(0) { $0 + pair.textEncoder.tokenize($1).count })

        // base64 floats: the same values.
        let packed = try await server.request("POST", "v1/embeddings", json: ["model": "dino+tb", "input": texts[0], "encoding_format": "base64"])
        let packedData = try #require((try Self.object(packed.body)["data"] as? [[String: Any]])?.first?["embedding"] as? String)
        let bytes = try #require(Data(base64Encoded: packedData))
        let floats: [Float] = stride(from: 0, to: bytes.count, by: 4).map { offset -> Float in
            var bits: UInt32 = 0
            for byte in 0..<4 { bits |= UInt32(bytes[offset + byte]) << (8 * UInt32(byte)) }
            return Float(bitPattern: bits)
        }
        #expect(floats == decoded.data[0].embedding)

        // Images: base64 PNG and a data URI give zoo encode's rows.
        let image = pngs.appendingPathComponent("00000-ankle-boot.png")
        let base64 = try Data(contentsOf: image).base64EncodedString()
        let imageRun = try await server.request("POST", "v1/embeddings", json: [
            "model": "dino+tb", "modality": "image", "input": [base64, "data:image/png;base64," + base64],
        ])
        try #require(imageRun.status == 200, "\(String(decoding: imageRun.body, as: UTF8.self))")
        let imageRows = try JSONDecoder().decode(Embeddings.self, from: imageRun.body).data.map(\.embedding)
        #expect(imageRows[0] == (try pair.embed(imagesAt: [image])).values && imageRows[1] == imageRows[0])

        // A single encoder: its pooled width.
        let encoder = try await server.request("POST", "v1/embeddings", json: ["model": "tb", "input": "hello"])
        let encoderRows = try JSONDecoder().decode(Embeddings.self, from: encoder.body)
        #expect(encoder.status == 200 && encoderRows.data[0].embedding.count == 32)

        // Classify and search.
        let classified = try await server.request("POST", "v1/classify", json: [
            "model": "dino+tb", "images": [base64], "labels": ["ankle boot", "bag", "dress"], "top_k": 3,
        ])
        try #require(classified.status == 200, "\(String(decoding: classified.body, as: UTF8.self))")
        let labels = try #require(((try Self.object(classified.body)["data"] as? [[String: Any]])?.first?["labels"]) as? [[String: Any]])
        let probabilities = labels.compactMap { ($0["probability"] as? NSNumber)?.doubleValue }
        #expect(labels.count == 3 && abs(probabilities.reduce(0, +) - 1) < 1e-4)
        let searched = try await server.request("POST", "v1/search", json: ["index": "pngs", "image": base64, "k": 2])
        try #require(searched.status == 200, "\(String(decoding: searched.body, as: UTF8.self))")
        let hits = try #require(try Self.object(searched.body)["data"] as? [[String: Any]])
        #expect(hits.count == 2 && hits[0]["id"] as? String == image.path)
        let models = try await server.request("GET", "v1/models")
        let modelRows = try Self.object(models.body)["data"] as? [[String: Any]]
        let ids = (modelRows ?? []).compactMap { $0["id"] as? String }
        #expect(Set(ids) == ["dino+tb@v1", "dino", "tb"])
        let metrics = try await server.request("GET", "metrics")
        let metricsText = String(decoding: metrics.body, as: UTF8.self)
        #expect(metrics.status == 200 && metricsText.contains("zoo_http_requests_total") && metricsText.contains("zoo_batch_size"))

        // Errors: 400 naming the field, 404, 405, 413.
        let cases: [([String: Any]?, Data?, Int, String?)] = [
            (nil, Data("{not json".utf8), 400, nil),
            (nil, Data("[1, 2]".utf8), 400, nil),
            (["model": "dino+tb"], nil, 400, "input"),
            (["model": "dino+tb", "input": 5], nil, 400, "input"),
            (["model": "dino+tb", "input": [1, 2]], nil, 400, "input"),
            (["model": 3, "input": "x"], nil, 400, "model"),
            (["model": "dino+tb", "input": ["ok", ""]], nil, 400, "input[1]"),
            (["model": "dino+tb", "input": "x", "encoding_format": "hex"], nil, 400, "encoding_format"),
            (["model": "dino+tb", "input": "x", "dimensions": 7], nil, 400, "dimensions"),
            (["model": "dino+tb", "input": "x", "modality": "audio"], nil, 400, "modality"),
            (["model": "dino+tb", "input": ["%%%"], "modality": "image"], nil, 400, "input[0]"),
            (["model": "dino+tb", "input": [Data("not an image".utf8).base64EncodedString()], "modality": "image"], nil, 400, "input[0]"),
            (["model": "tb", "input": [base64], "modality": "image"], nil, 400, "modality"),
            (["model": "dino+tbb", "input": "x"], nil, 404, "model"),
            (["model": "nobody", "input": "x"], nil, 404, "model"),
        ]
        for (json, body, status, param) in cases {
            let answer = try await server.request("POST", "v1/embeddings", json: json, body: body)
            let error = try Self.errorParam(answer.body)
            let described = json.map { "\($0)" } ?? String(decoding: body ?? Data(), as: UTF8.self)
            #expect(answer.status == status && error.param == param, "\(described): \(answer.status) \(error)")
        }
        let unknownIndex = try await server.request("POST", "v1/search", json: ["index": "png", "text": "x"])
        let unknownIndexError = try Self.errorParam(unknownIndex.body)
        #expect(unknownIndex.status == 404 && unknownIndexError.message.contains("'pngs'"))
        let both = try await server.request("POST", "v1/search", json: ["index": "pngs", "text": "x", "image": base64])
        #expect(both.status == 400)
        let badTemplate = try await server.request("POST", "v1/classify", json: ["model": "dino+tb", "images": [base64], "labels": ["a"], "templates": ["no class"]])
        let badTemplateError = try Self.errorParam(badTemplate.body)
        #expect(badTemplate.status == 400 && badTemplateError.param == "templates[0]")
        let encoderClassify = try await server.request("POST", "v1/classify", json: ["model": "tb", "images": [base64], "labels": ["a"]])
        let encoderClassifyError = try Self.errorParam(encoderClassify.body)
        #expect(encoderClassify.status == 400 && encoderClassifyError.param == "model")
        let noRoute = try await server.request("GET", "v2/nothing")
        let noRouteError = try Self.errorParam(noRoute.body)
        #expect(noRoute.status == 404 && noRouteError.type == "not_found_error")
        let wrongMethod = try await server.request("GET", "v1/embeddings")
        #expect([404, 405].contains(wrongMethod.status))
        let huge = try await server.request("POST", "v1/embeddings", json: ["model": "dino+tb", "input": String(repeating: "a", count: 70_000)])
        let hugeError = try Self.errorParam(huge.body)
        #expect(huge.status == 413 && hugeError.type == "request_too_large")
        #expect(try await server.request("GET", "health").status == 200)

        // SIGTERM: exits 0.
        #expect(server.stop() == 0, "\(server.stderr)")
    }

    @Test("--api-key: 401 without the bearer key or with a wrong one, 200 with it; a bad --preload stops start-up")
    func apiKeyAndPreload() async throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = ZooRunner()
        try #require(try zoo.run(["encoder", "add", "tb", "--from", ZooRunner.fixtures.appendingPathComponent("models/tiny-bert").path]).status == 0)
        let server = try ServerProcess(zoo: zoo, environment: ["ZOO_API_KEY": "s3cret-key"])
        defer { server.stop() }
        let none = try await server.request("POST", "v1/embeddings", json: ["model": "tb", "input": "x"])
        let noneError = try Self.errorParam(none.body)
        #expect(none.status == 401 && noneError.type == "authentication_error")
        #expect(try await server.request("GET", "health", headers: ["Authorization": "Bearer s3cret-kez"]).status == 401)
        #expect(try await server.request("GET", "health", headers: ["Authorization": "s3cret-key"]).status == 401)
        let ok = try await server.request("POST", "v1/embeddings", json: ["model": "tb", "input": "x"], headers: ["Authorization": "Bearer s3cret-key"])
        #expect(ok.status == 200)
        #expect(server.stop() == 0)

        let badPreload = try zoo.run(["serve", "--port", "0", "--preload", "nobody"])
        #expect(badPreload.status == 66 && badPreload.stderr.contains("nobody"), "\(badPreload.stderr)")
    }

    @Test("SIGTERM while a request runs: the request finishes with 200, then the server exits 0")
    func gracefulShutdown() async throws {
        let zoo = ZooRunner()
        try #require(try zoo.run(["encoder", "add", "tb", "--from", ZooRunner.fixtures.appendingPathComponent("models/tiny-bert").path]).status == 0)
        let server = try ServerProcess(zoo: zoo, arguments: ["--preload", "tb", "--max-batch", "2048"])
        defer { server.stop() }
        let texts = (0..<2_000).map { "sentence number \($0) about a dog that runs along the beach at dawn, again and again" }
        let started = Date()
        async let slow = server.request("POST", "v1/embeddings", json: ["model": "tb", "input": texts])
        try await Task.sleep(for: .milliseconds(150))
        kill(server.process.processIdentifier, SIGTERM)
        let answer = try await slow
        let elapsed = Date().timeIntervalSince(started)
        #expect(answer.status == 200)
        let answerRows = try Self.object(answer.body)["data"] as? [Any]
        #expect(answerRows?.count == 2_000)
        // The request was still running when the signal came.
        #expect(elapsed > 0.15, "the request took \(elapsed) s; make it longer")
        while server.process.isRunning && Date().timeIntervalSince(started) < 60 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!server.process.isRunning && server.process.terminationStatus == 0, "\(server.stderr)")
        // No new connection is taken after the signal.
        await #expect(throws: (any Error).self) { _ = try await server.request("GET", "health") }
    }
    @Test("a client that disconnects while its request waits frees its place: its inputs are never encoded")
    func disconnectedClientLeavesTheQueue() async throws {
        let zoo = ZooRunner()
        try #require(try zoo.run(["encoder", "add", "tb", "--from", ZooRunner.fixtures.appendingPathComponent("models/tiny-bert").path]).status == 0)
        // One worker: a long request holds it while the second one waits in the queue.
        let server = try ServerProcess(zoo: zoo, arguments: ["--preload", "tb", "--max-batch", "2048", "--batch-workers", "1"])
        defer { server.stop() }
        // About 60 tokens each, so the batch runs for a good while even on a fast path.
        let long = (0..<2_000).map { index in
            (0..<3).map { "sentence number \(index) part \($0) about a dog that runs along the beach at dawn" }.joined(separator: ", ")
        }
        let started = Date()
        async let running = server.request("POST", "v1/embeddings", json: ["model": "tb", "input": long])
        // The long batch has started (its size is recorded as it is formed) before the second
        // request is sent: otherwise, on a loaded machine, the second could be queued first.
        let startDeadline = Date().addingTimeInterval(300)
        while Date() < startDeadline {
            let metrics = String(decoding: try await server.request("GET", "metrics").body, as: UTF8.self)
            if metrics.contains("zoo_batch_size_inputs_count{model=\"tb text\"} 1") { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        // The second client sends its request on a raw socket and hangs up without reading.
        let waiting = (0..<1_500).map { "caption \($0) of a photo that nobody will wait for" }
        let body = try JSONSerialization.data(withJSONObject: ["model": "tb", "input": waiting])
        let port = try #require(server.base.port)
        try RawHTTPClient.sendAndHangUp(port: port, path: "/v1/embeddings", body: body)
        let hungUp = Date()
        let answer = try await running
        #expect(answer.status == 200)
        let finished = Date()
        // The hang-up came while the long request was still being encoded.
        #expect(hungUp < finished.addingTimeInterval(-0.2), "the long request ended too soon (\(finished.timeIntervalSince(started)) s); make it longer")
        var dropped = 0.0
        var batches = ""
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let metrics = String(decoding: try await server.request("GET", "metrics").body, as: UTF8.self)
            let lines = metrics.split(separator: "\n")
            dropped = lines.first { $0.hasPrefix("zoo_dropped_inputs_total{model=\"tb text\"}") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            batches = lines.first { $0.hasPrefix("zoo_batch_size_inputs_count{model=\"tb text\"}") }.map(String.init) ?? ""
            if dropped > 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(dropped == 1_500)
        // Only the long request and nothing after it was encoded.
        #expect(batches.hasSuffix(" 1"), "\(batches)")
        let health = try await server.request("GET", "health")
        #expect(health.status == 200)
    }
}
