import Foundation
import Registry

extension ShardSelection {
    /// The variables ``init(environment:)`` reads, for messages and docs.
    public static let environmentVariables = [
        "ZOO_SHARD", "ZOO_SHARD_COUNT", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "JOB_COMPLETION_INDEX",
    ]

    /// The shard a scheduler gave this process (`zoo embed --shard env`).
    ///
    /// In order: `ZOO_SHARD=K/N`; a Slurm array task, `SLURM_ARRAY_TASK_ID` with N from
    /// `ZOO_SHARD_COUNT`, else `SLURM_ARRAY_TASK_COUNT`, else `SLURM_ARRAY_TASK_MAX + 1`; a
    /// Kubernetes Indexed Job pod, `JOB_COMPLETION_INDEX` with `ZOO_SHARD_COUNT`. Without
    /// `ZOO_SHARD_COUNT`, a Slurm array must be the whole range `0-(N-1)` (a resubmission of
    /// some shards sets `ZOO_SHARD_COUNT`, as zoo's generated scripts do).
    ///
    /// - Throws: `ZooError` 64 naming the variables when none is set, one is not a number, or
    ///   they disagree.
    public init(environment: [String: String]) throws {
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
        }
        func number(_ name: String) throws -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), number >= 0 else {
                throw ZooError(.usage, "--shard env: \(name)='\(text)' is not a non-negative whole number")
            }
            return number
        }
        let explicitCount = try number("ZOO_SHARD_COUNT")
        if let explicitCount, explicitCount < 1 {
            throw ZooError(.usage, "--shard env: ZOO_SHARD_COUNT must be at least 1 (it is the number of shards N)")
        }
        if let text = value("ZOO_SHARD") {
            let parsed: ShardSelection
            do { parsed = try ShardSelection(parsing: text) } catch {
                throw ZooError(.usage, "--shard env: ZOO_SHARD='\(text)' is not K/N with 0 <= K < N, e.g. ZOO_SHARD=0/4")
            }
            if let explicitCount, explicitCount != parsed.count {
                throw ZooError(.usage, "--shard env: ZOO_SHARD=\(text) and ZOO_SHARD_COUNT=\(explicitCount) disagree on the number of shards; set one of them")
            }
            self = parsed
            return
        }
        let slurmID = try number("SLURM_ARRAY_TASK_ID")
        let podIndex = try number("JOB_COMPLETION_INDEX")
        if slurmID != nil, podIndex != nil {
            throw ZooError(.usage, "--shard env: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; a task runs under one scheduler, so unset the other (or set ZOO_SHARD=K/N)")
        }
        let index: Int
        let count: Int
        if let slurmID {
            let taskCount = try number("SLURM_ARRAY_TASK_COUNT")
            let minimum = try number("SLURM_ARRAY_TASK_MIN")
            let maximum = try number("SLURM_ARRAY_TASK_MAX")
            if let explicitCount {
                count = explicitCount
            } else if let taskCount {
                if let minimum, let maximum, minimum != 0 || maximum != taskCount - 1 {
                    throw ZooError(.usage, "--shard env: SLURM_ARRAY_TASK_MIN=\(minimum), SLURM_ARRAY_TASK_MAX=\(maximum) and SLURM_ARRAY_TASK_COUNT=\(taskCount) are not the whole array 0-\(taskCount - 1), so the number of shards is unknown; set ZOO_SHARD_COUNT=N (zoo's generated scripts do)")
                }
                count = taskCount
            } else if let maximum {
                if let minimum, minimum != 0 {
                    throw ZooError(.usage, "--shard env: SLURM_ARRAY_TASK_MIN=\(minimum) is not 0, so the number of shards is unknown; set ZOO_SHARD_COUNT=N")
                }
                count = maximum + 1
            } else {
                throw ZooError(.usage, "--shard env: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MAX nor ZOO_SHARD_COUNT gives the number of shards; set ZOO_SHARD_COUNT=N")
            }
            index = slurmID
            guard index < count else {
                throw ZooError(.usage, "--shard env: SLURM_ARRAY_TASK_ID=\(index) is not below the number of shards \(count) (from \(explicitCount != nil ? "ZOO_SHARD_COUNT" : "SLURM_ARRAY_TASK_COUNT/MAX")); submit the array as 0-\(count - 1) or set ZOO_SHARD_COUNT")
            }
        } else if let podIndex {
            guard let explicitCount else {
                throw ZooError(.usage, "--shard env: JOB_COMPLETION_INDEX=\(podIndex) is set but ZOO_SHARD_COUNT is not; set ZOO_SHARD_COUNT to the Job's completions (zoo's generated manifest does)")
            }
            guard podIndex < explicitCount else {
                throw ZooError(.usage, "--shard env: JOB_COMPLETION_INDEX=\(podIndex) is not below ZOO_SHARD_COUNT=\(explicitCount); make the Job's completions equal ZOO_SHARD_COUNT")
            }
            index = podIndex
            count = explicitCount
        } else {
            throw ZooError(.usage, "--shard env: no shard in the environment; set ZOO_SHARD=K/N, or run as a Slurm array task (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or ZOO_SHARD_COUNT) or a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX with ZOO_SHARD_COUNT)")
        }
        self.init()
        self.index = index
        self.count = count
    }
}
