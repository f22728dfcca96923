import Foundation
import Registry
import Testing
import ZooKit

/// `--shard env`: the shard from Slurm, Kubernetes or ZOO_SHARD, and what is refused.
@Suite("shard from the scheduler's environment")
struct ShardEnvironmentTests {
    private func shard(_ environment: [String: String]) throws -> String {
        try ShardSelection(environment: environment).description
    }

    private func refusal(_ environment: [String: String]) -> ZooError? {
        do {
            _ = try ShardSelection(environment: environment)
            return nil
        } catch let error as ZooError { return error } catch { return nil }
    }

    @Test("Slurm array tasks, Kubernetes Indexed Job pods and ZOO_SHARD give K/N")
    func sources() throws {
        #expect(try shard(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"]) == "3/4")
        #expect(try shard(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MAX": "7"]) == "2/8")
        // A resubmission of some shards: the array is 2-2, ZOO_SHARD_COUNT keeps N.
        #expect(try shard(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "2",
                           "SLURM_ARRAY_TASK_MAX": "2", "ZOO_SHARD_COUNT": "4"]) == "2/4")
        #expect(try shard(["JOB_COMPLETION_INDEX": "0", "ZOO_SHARD_COUNT": "4"]) == "0/4")
        #expect(try shard(["ZOO_SHARD": "1/2"]) == "1/2")
        #expect(try shard(["ZOO_SHARD": "1/2", "ZOO_SHARD_COUNT": "2"]) == "1/2")
    }

    @Test("a missing or inconsistent environment is 64 naming the variables")
    func refusals() {
        let none = refusal([:])
        #expect(none?.kind == .usage)
        for name in ["ZOO_SHARD", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "ZOO_SHARD_COUNT"] {
            #expect(none?.message.contains(name) == true, "\(name)")
        }
        let cases: [([String: String], String)] = [
            (["JOB_COMPLETION_INDEX": "1"], "ZOO_SHARD_COUNT"),
            (["JOB_COMPLETION_INDEX": "4", "ZOO_SHARD_COUNT": "4"], "JOB_COMPLETION_INDEX=4"),
            (["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2"], "SLURM_ARRAY_TASK_MIN=2"),
            (["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4"], "SLURM_ARRAY_TASK_ID=5"),
            (["SLURM_ARRAY_TASK_ID": "1"], "SLURM_ARRAY_TASK_COUNT"),
            (["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"], "SLURM_ARRAY_TASK_ID='x'"),
            (["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "JOB_COMPLETION_INDEX": "1"], "JOB_COMPLETION_INDEX"),
            (["ZOO_SHARD": "4/4"], "ZOO_SHARD='4/4'"),
            (["ZOO_SHARD": "1/2", "ZOO_SHARD_COUNT": "3"], "ZOO_SHARD_COUNT=3"),
            (["ZOO_SHARD_COUNT": "0", "JOB_COMPLETION_INDEX": "0"], "ZOO_SHARD_COUNT"),
        ]
        for (environment, named) in cases {
            let error = refusal(environment)
            #expect(error?.kind == .usage, "\(environment)")
            #expect(error?.message.contains(named) == true, "\(environment): \(error?.message ?? "accepted")")
        }
    }

    @Test("missing shards print as a Slurm --array list; shard sizes add up")
    func arrayLists() {
        #expect(ShardReport.arrayList([3, 7, 8, 9]) == "3,7-9")
        #expect(ShardReport.arrayList([0, 1, 2, 5, 11, 12]) == "0-2,5,11-12")
        #expect(ShardReport.arrayList([2]) == "2")
        #expect(ShardReport.arrayList([]) == "")
        #expect((0..<7).map { ShardReport.items(inShard: $0, of: 7, total: 400) }.reduce(0, +) == 400)
        #expect(ShardReport.items(inShard: 3, of: 4, total: 10) == 2)
        #expect(ShardReport.items(inShard: 1, of: 4, total: 10) == 3)
    }

    @Test("Slurm time limits convert to seconds; others are 64")
    func timeLimits() throws {
        #expect(try ClusterJobs.seconds(ofSlurmTime: "30") == 1800)
        #expect(try ClusterJobs.seconds(ofSlurmTime: "10:00") == 600)
        #expect(try ClusterJobs.seconds(ofSlurmTime: "12:00:00") == 43200)
        #expect(try ClusterJobs.seconds(ofSlurmTime: "2-00:30:00") == 2 * 86400 + 1800)
        #expect(try ClusterJobs.seconds(ofSlurmTime: "1-12") == 129600)
        for bad in ["", "x", "1:2:3:4", "-5", "0", "1-a"] {
            #expect(throws: ZooError.self, "\(bad)") { try ClusterJobs.seconds(ofSlurmTime: bad) }
        }
    }
}
