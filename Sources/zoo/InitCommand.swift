import ArgumentParser
import Registry

/// `zoo init`: create the catalog and checkpoint store.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create zoo.sqlite and checkpoints/ in the zoo home.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let zoo = try global.openZoo()
        let migrations = try zoo.catalog.appliedMigrations()
        print("zoo home \(zoo.home.url.path): catalog at schema \(migrations.last ?? "none"), store \(zoo.store.root.path)")
    }
}
