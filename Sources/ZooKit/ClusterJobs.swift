import Foundation
import Registry

/// The files `zoo embed --emit slurm|k8s` writes: a Slurm batch script that submits itself as
/// an array job of N shard tasks plus a merge job that waits for them (`afterok`), or a
/// Kubernetes manifest of an Indexed Job (one pod per shard) plus the merge Job.
public enum ClusterJobs {
    /// What both schedulers need to know.
    public struct Plan: Sendable {
        /// The encoder's name.
        public var encoder: String
        /// The dataset's name.
        public var dataset: String
        /// The zoo home the tasks use (absolute).
        public var home: String
        /// The `zoo` executable the tasks run (absolute on the cluster's nodes, or a name on PATH).
        public var zoo: String
        /// Shards N.
        public var shards: Int
        /// Tasks running at once.
        public var parallel: Int
        /// Wall-time limit of each task, in Slurm's notation (`MM`, `HH:MM:SS`, `D-HH:MM:SS`, …).
        public var time: String
        /// CPU cores per task.
        public var cpus: Int
        /// Memory per task (Slurm `--mem`, e.g. `8G`), when set.
        public var memory: String?
        /// Slurm partition, when set.
        public var partition: String?
        /// Container image (Kubernetes).
        public var image: String
        /// Persistent volume claim that holds the zoo home (Kubernetes).
        public var volumeClaim: String
        /// Retries per index (Kubernetes `backoffLimitPerIndex`).
        public var retries: Int
        /// The options every task passes to `zoo embed` besides `--shard env` (tokens, dtype, batch, …).
        public var embedOptions: [String]
        /// The name the file is saved under, for its usage comment (default `JOBNAME.sbatch` or `.yaml`).
        public var fileName: String?

        /// Gathers a plan.
        public init(
            encoder: String, dataset: String, home: String, zoo: String, shards: Int, parallel: Int, time: String, cpus: Int,
            memory: String?, partition: String?, image: String, volumeClaim: String, retries: Int, embedOptions: [String]
        ) {
            self.encoder = encoder
            self.dataset = dataset
            self.home = home
            self.zoo = zoo
            self.shards = shards
            self.parallel = parallel
            self.time = time
            self.cpus = cpus
            self.memory = memory
            self.partition = partition
            self.image = image
            self.volumeClaim = volumeClaim
            self.retries = retries
            self.embedOptions = embedOptions
        }

        /// A name for jobs and files: `zoo-embed-ENCODER-DATASET`, lower case, letters, digits and `-`.
        public var jobName: String {
            let raw = "zoo-embed-\(encoder)-\(dataset)".lowercased()
            let mapped = String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
            return String(mapped.prefix(52)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        }

        /// The merge job's name.
        var mergeName: String { jobName.replacingOccurrences(of: "zoo-embed-", with: "zoo-merge-") }
    }

    /// Seconds in a Slurm time limit: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`.
    ///
    /// - Throws: `ZooError` 64 naming the value when it is none of those.
    public static func seconds(ofSlurmTime text: String) throws -> Int {
        let failure = ZooError(.usage, "--time '\(text)' is not a Slurm time limit (MM, HH:MM:SS or D-HH:MM:SS, e.g. --time 12:00:00)")
        var days = 0
        var rest = Substring(text)
        if let dash = text.firstIndex(of: "-") {
            guard let value = Int(text[..<dash]), value >= 0 else { throw failure }
            days = value
            rest = text[text.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else { throw failure }
        let values = parts.map { $0! }
        let seconds: Int
        if text.contains("-") {
            // D-HH, D-HH:MM, D-HH:MM:SS
            seconds = values[0] * 3600 + (values.count > 1 ? values[1] * 60 : 0) + (values.count > 2 ? values[2] : 0)
        } else {
            switch values.count {
            case 1: seconds = values[0] * 60
            case 2: seconds = values[0] * 60 + values[1]
            default: seconds = values[0] * 3600 + values[1] * 60 + values[2]
            }
        }
        let total = days * 86400 + seconds
        guard total > 0 else { throw failure }
        return total
    }

    /// A word quoted for the shell (single quotes, `'` escaped).
    static func shellQuoted(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A string as a YAML double-quoted scalar.
    static func yamlQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 { out += String(format: "\\x%02x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// The Slurm batch script. Run with `bash FILE [ARRAY]`, it submits itself as the array job
    /// (shards `ARRAY`, default all, at most `parallel` at once) and the merge job with
    /// `--dependency=afterok`; each array task (`SLURM_ARRAY_TASK_ID` set) embeds its shard.
    public static func slurmScript(_ plan: Plan) -> String {
        let last = plan.shards - 1
        let all = last == 0 ? "0" : "0-\(last)"
        let embed = ([plan.encoder, plan.dataset, "--shard", "env"] + plan.embedOptions).map(shellQuoted).joined(separator: " ")
        let merge = ["cache", "merge", plan.encoder, plan.dataset, "--shards", String(plan.shards)]
            + plan.embedOptions.filter { ["--tokens"].contains($0) } + dtypeOption(plan.embedOptions)
        var directives = [
            "--job-name=\(plan.jobName)",
            "--array=\(all)%\(plan.parallel)",
            "--time=\(plan.time)",
            "--cpus-per-task=\(plan.cpus)",
            "--ntasks=1",
            "--output=\(plan.jobName)-%A_%a.out",
        ]
        if let memory = plan.memory { directives.append("--mem=\(memory)") }
        if let partition = plan.partition { directives.append("--partition=\(partition)") }
        let file = plan.fileName ?? "\(plan.jobName).sbatch"
        var mergeOptions = ["--time=\(plan.time)", "--cpus-per-task=1", "--ntasks=1"]
        if let memory = plan.memory { mergeOptions.append("--mem=\(memory)") }
        if let partition = plan.partition { mergeOptions.append("--partition=\(partition)") }
        return """
            #!/bin/bash
            # \(plan.encoder) over \(plan.dataset): a Slurm array job of \(plan.shards) shard tasks, then one merge job.
            # Written by zoo \(ZooVersion.current) (zoo embed \(plan.encoder) \(plan.dataset) --emit slurm).
            #
            #   bash \(file)           submit shards \(all) (\(plan.parallel) at a time) and the merge job
            #   bash \(file) 3,7-9     submit only those shards (as printed by zoo cache status), and the merge job
            #   zoo cache status \(plan.encoder) \(plan.dataset) --shards \(plan.shards)    done and missing shards
            #
            # Each task embeds the items whose index modulo \(plan.shards) is its array index into the cache
            # folder of the zoo home, one segment file at a time, and writes its done marker last. A task
            # killed at its time limit keeps its finished segments; submitted again, it computes only the
            # rest. The merge job runs once every task of the array succeeded (afterok); if one fails,
            # Slurm cancels it (--kill-on-invalid-dep), and a resubmission brings a new one.
            \(directives.map { "#SBATCH \($0)" }.joined(separator: "\n"))
            set -euo pipefail
            export ZOO=\(shellQuoted(plan.zoo))
            export ZOO_HOME=\(shellQuoted(plan.home))
            export ZOO_SHARD_COUNT=\(plan.shards)
            if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
              array="${1:-\(all)}"
              job=$(sbatch --parsable --array="${array}%\(plan.parallel)" "$0")
              job="${job%%;*}"
              merge=$(sbatch --parsable --dependency="afterok:${job}" --kill-on-invalid-dep=yes \\
                --job-name=\(plan.mergeName) --output=\(plan.mergeName)-%j.out \(mergeOptions.joined(separator: " ")) \\
                --wrap="exec \\"\\$ZOO\\" \(merge.map(shellQuoted).joined(separator: " "))")
              merge="${merge%%;*}"
              echo "submitted array job ${job} (shards ${array} of \(plan.shards)) and merge job ${merge}"
              exit 0
            fi
            # Math threads: the task's CPUs, not every core of the node.
            export OPENBLAS_NUM_THREADS="${SLURM_CPUS_PER_TASK:-\(plan.cpus)}"
            exec "$ZOO" embed \(embed)

            """
    }

    /// The Kubernetes manifest: an Indexed Job of `shards` pods and the merge Job, told apart by
    /// the label `app.kubernetes.io/component` (`embed`, `merge`).
    public static func kubernetesManifest(_ plan: Plan) throws -> String {
        let deadline = try seconds(ofSlurmTime: plan.time)
        let merge = ["zoo", "cache", "merge", plan.encoder, plan.dataset, "--shards", String(plan.shards)]
            + plan.embedOptions.filter { ["--tokens"].contains($0) } + dtypeOption(plan.embedOptions)
        let embed = ["zoo", "embed", plan.encoder, plan.dataset, "--shard", "env"] + plan.embedOptions
        func job(name: String, component: String, command: [String], indexed: Bool) -> String {
            var spec: [String] = []
            if indexed {
                spec += [
                    "  completionMode: Indexed",
                    "  completions: \(plan.shards)",
                    "  parallelism: \(plan.parallel)",
                    "  backoffLimitPerIndex: \(plan.retries)",
                    "  maxFailedIndexes: \(plan.shards)",
                ]
            } else {
                spec += ["  completions: 1", "  parallelism: 1", "  backoffLimit: \(plan.retries)"]
            }
            var env = ["            - name: ZOO_HOME", "              value: \(yamlQuoted(plan.home))"]
            let cpu = indexed ? plan.cpus : 1
            if indexed { env += ["            - name: ZOO_SHARD_COUNT", "              value: \(yamlQuoted(String(plan.shards)))"] }
            // Math threads: the pod's CPUs, not every core of the node.
            env += ["            - name: OPENBLAS_NUM_THREADS", "              value: \(yamlQuoted(String(cpu)))"]
            var resources = [
                "          resources:",
                "            requests:",
                "              cpu: \(yamlQuoted(String(cpu)))",
            ]
            if let memory = plan.memory {
                resources += ["              memory: \(yamlQuoted(kubernetesMemory(memory)))", "            limits:", "              memory: \(yamlQuoted(kubernetesMemory(memory)))"]
            }
            let lines = [
                "apiVersion: batch/v1",
                "kind: Job",
                "metadata:",
                "  name: \(name)",
                "  labels:",
                "    app.kubernetes.io/name: zoo",
                "    app.kubernetes.io/component: \(component)",
                "spec:",
            ] + spec + [
                "  template:",
                "    metadata:",
                "      labels:",
                "        app.kubernetes.io/name: zoo",
                "        app.kubernetes.io/component: \(component)",
                "    spec:",
                "      restartPolicy: Never",
                "      activeDeadlineSeconds: \(deadline)",
                "      containers:",
                "        - name: \(component)",
                "          image: \(yamlQuoted(plan.image))",
                "          command: [\(command.map(yamlQuoted).joined(separator: ", "))]",
                "          env:",
            ] + env + resources + [
                "          volumeMounts:",
                "            - name: zoo-home",
                "              mountPath: \(yamlQuoted(plan.home))",
                "      volumes:",
                "        - name: zoo-home",
                "          persistentVolumeClaim:",
                "            claimName: \(yamlQuoted(plan.volumeClaim))",
            ]
            return lines.joined(separator: "\n")
        }
        let file = plan.fileName ?? "\(plan.jobName).yaml"
        let header = """
            # \(plan.encoder) over \(plan.dataset): a Kubernetes Indexed Job of \(plan.shards) shard pods, then the merge Job.
            # Written by zoo \(ZooVersion.current) (zoo embed \(plan.encoder) \(plan.dataset) --emit k8s).
            #
            #   kubectl apply -f \(file) -l app.kubernetes.io/component=embed
            #   kubectl wait --for=condition=complete --timeout=-1s job/\(plan.jobName)
            #   kubectl apply -f \(file) -l app.kubernetes.io/component=merge
            #
            # Each pod embeds the items whose index modulo \(plan.shards) is its JOB_COMPLETION_INDEX
            # (zoo embed --shard env) into the cache folder of the zoo home on the volume claim
            # '\(plan.volumeClaim)', mounted at the same path; the dataset's path must be readable in the pod.
            # An index is retried \(plan.retries) times (backoffLimitPerIndex). After a failure, delete
            # the Job and apply it again: indexes with a done marker exit at once.
            """
        return header + "\n---\n" + job(name: plan.jobName, component: "embed", command: embed, indexed: true)
            + "\n---\n" + job(name: plan.mergeName, component: "merge", command: merge, indexed: false) + "\n"
    }

    /// `--dtype X` when the task options hold it.
    private static func dtypeOption(_ options: [String]) -> [String] {
        guard let index = options.firstIndex(of: "--dtype"), index + 1 < options.count else { return [] }
        return ["--dtype", options[index + 1]]
    }

    /// Slurm memory (`8G`, `512M`, plain megabytes) in Kubernetes quantity notation.
    static func kubernetesMemory(_ slurm: String) -> String {
        let units: [Character: String] = ["K": "Ki", "M": "Mi", "G": "Gi", "T": "Ti"]
        if let last = slurm.uppercased().last, let unit = units[last] { return String(slurm.dropLast()) + unit }
        return slurm + "Mi"
    }
}
