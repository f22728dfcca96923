/// What `zoo report` shows, gathered from the catalog as plain values.
public struct ReportInput: Sendable, Equatable {
    /// One projector's training history.
    public struct Curve: Sendable, Equatable {
        /// `VISION+TEXT@TAG`.
        public var pair: String
        /// Per epoch, from 1.
        public var loss: [Double]
        public var temperature: [Double]
        public var learningRate: [Double]

        public init(pair: String, loss: [Double], temperature: [Double], learningRate: [Double]) {
            self.pair = pair
            self.loss = loss
            self.temperature = temperature
            self.learningRate = learningRate
        }
    }

    /// Per-class results of one classification evaluation.
    public struct ClassificationDetail: Sendable, Equatable {
        public var pair: String
        public var dataset: String
        public var classNames: [String]
        /// Top-1 recall of each class.
        public var perClassRecall: [Double]
        /// Counts, row = true class, column = predicted class.
        public var confusion: [[Int]]

        public init(pair: String, dataset: String, classNames: [String], perClassRecall: [Double], confusion: [[Int]]) {
            self.pair = pair
            self.dataset = dataset
            self.classNames = classNames
            self.perClassRecall = perClassRecall
            self.confusion = confusion
        }
    }

    /// One CKA score.
    public struct CKAScore: Sendable, Equatable {
        public var vision: String
        public var text: String
        public var score: Double
        public var kernel: String

        public init(vision: String, text: String, score: Double, kernel: String) {
            self.vision = vision
            self.text = text
            self.score = score
            self.kernel = kernel
        }
    }

    /// One leaderboard row: a pair and its headline metric per dataset (nil when not evaluated).
    public struct LeaderboardRow: Sendable, Equatable {
        public var pair: String
        public var values: [Double?]

        public init(pair: String, values: [Double?]) {
            self.pair = pair
            self.values = values
        }
    }

    public var title: String
    public var zooVersion: String
    public var curves: [Curve]
    public var details: [ClassificationDetail]
    public var cka: [CKAScore]
    public var leaderboardDatasets: [String]
    public var leaderboard: [LeaderboardRow]

    public init(title: String, zooVersion: String, curves: [Curve], details: [ClassificationDetail], cka: [CKAScore],
                leaderboardDatasets: [String], leaderboard: [LeaderboardRow]) {
        self.title = title
        self.zooVersion = zooVersion
        self.curves = curves
        self.details = details
        self.cka = cka
        self.leaderboardDatasets = leaderboardDatasets
        self.leaderboard = leaderboard
    }
}
