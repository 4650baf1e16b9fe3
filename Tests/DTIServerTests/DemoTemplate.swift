import Fluent
import Foundation
import SQLKit
import Vapor
@testable import DTIServer

/// The demo database, seeded once per test process and then copied, table
/// by table, into every test's freshly migrated database.
///
/// On SQLite the template is a file, attached to the test's in-memory
/// database for the copy; on PostgreSQL it is a schema beside the tests'
/// schemas. Both are named after the process (`dti_tpl_<pid>_…`), and a
/// process removes the templates of processes that no longer run.
struct DemoTemplate: Sendable {
    enum Location: Sendable {
        case sqliteFile(String)
        case postgresSchema(String)
    }
    let location: Location

    static let shared = Task<DemoTemplate, any Error> { try await seed() }

    private static let prefix = "dti_tpl_"

    private static func seed() async throws -> DemoTemplate {
        let name = "\(prefix)\(getpid())_\(UUID().uuidString.prefix(8).lowercased())"
        let temporary = FileManager.default.temporaryDirectory
        var settings = ServerSettings(storage: .sqliteMemory, frameworksDirectory: TestPaths.frameworks)
        applyTestDatabase(&settings)
        let location: Location
        if case .postgres = settings.storage {
            settings.postgresSchema = name
            location = .postgresSchema(name)
        } else {
            removeStaleFiles(in: temporary)
            location = .sqliteFile(temporary.appendingPathComponent(name + ".sqlite").path)
        }
        let app = try await Application.make(.testing)
        do {
            try await configure(app, settings: settings)
            let sql = try app.db.sql
            if case .postgresSchema = location { try await removeStaleSchemas(sql) }
            _ = try await DemoSeeder.seedIfEmpty(app, frameworksDirectory: settings.frameworksDirectory)
            if case .sqliteFile(let path) = location {
                // Seeded in memory as before, then written out as one file that tests attach.
                try await sql.raw("VACUUM INTO \(bind: path)").run()
            }
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        return DemoTemplate(location: location)
    }

    /// Copies every table's rows (not the migration log, which the test's
    /// own migrations wrote) into `db`, whose tables are empty.
    func copy(into db: any Database) async throws {
        switch location {
        case .sqliteFile(let path):
            try await db.withConnection { connection in
                let sql = try connection.sql
                try await sql.raw("ATTACH DATABASE \(bind: path) AS demo").run()
                do {
                    let tables = try await sql.raw("SELECT name FROM demo.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_fluent_migrations' ORDER BY rowid")
                        .all().map { try $0.decode(column: "name", as: String.self) }
                    try await sql.raw("BEGIN").run()
                    try await sql.raw("PRAGMA defer_foreign_keys = ON").run()
                    for table in tables {
                        let columns = try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table))").all()
                            .map { try $0.decode(column: "name", as: String.self) }
                        try await Self.copyRows(of: table, columns: columns, from: "demo", to: "main", on: sql)
                    }
                    try await sql.raw("COMMIT").run()
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    try? await sql.raw("DETACH DATABASE demo").run()
                    throw error
                }
                try await sql.raw("DETACH DATABASE demo").run()
            }
        case .postgresSchema(let schema):
            try await db.transaction { transaction in
                let sql = try transaction.sql
                let tables = try await sql.raw("SELECT tablename FROM pg_tables WHERE schemaname = \(bind: schema) AND tablename <> '_fluent_migrations'")
                    .all().map { try $0.decode(column: "tablename", as: String.self) }
                let edges = try await sql.raw("""
                    SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
                    JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
                    WHERE k.contype = 'f' AND k.connamespace = \(bind: schema)::regnamespace
                    """).all().map { (try $0.decode(column: "child", as: String.self), try $0.decode(column: "parent", as: String.self)) }
                for table in try Self.parentsFirst(tables, edges: edges) {
                    let columns = try await sql.raw("SELECT column_name FROM information_schema.columns WHERE table_schema = \(bind: schema) AND table_name = \(bind: table) ORDER BY ordinal_position").all()
                        .map { try $0.decode(column: "column_name", as: String.self) }
                    try await Self.copyRows(of: table, columns: columns, from: schema, to: nil, on: sql)
                }
            }
        }
    }

    /// `INSERT INTO target.table (columns) SELECT columns FROM source.table`, columns by name
    /// (the template's column order need not be the test database's); `target` nil is the
    /// connection's own schema. Rows a migration wrote (the directory's revision) are replaced.
    private static func copyRows(of table: String, columns: [String], from source: String, to target: String?, on sql: any SQLDatabase) async throws {
        let quoted = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let into = (target.map { "\"\($0)\"." } ?? "") + "\"\(table)\""
        try await sql.raw("DELETE FROM \(unsafeRaw: into)").run()
        try await sql.raw("INSERT INTO \(unsafeRaw: into) (\(unsafeRaw: quoted)) SELECT \(unsafeRaw: quoted) FROM \"\(unsafeRaw: source)\".\"\(unsafeRaw: table)\"").run()
    }

    /// Tables ordered so that every table comes after those it refers to
    /// (a table referring to itself is checked at the end of its statement).
    static func parentsFirst(_ tables: [String], edges: [(child: String, parent: String)]) throws -> [String] {
        var parents = Dictionary(uniqueKeysWithValues: tables.map { ($0, Set<String>()) })
        for (child, parent) in edges where child != parent { parents[child, default: []].insert(parent) }
        var ordered: [String] = []
        var left = Set(tables)
        while !left.isEmpty {
            let ready = left.filter { parents[$0, default: []].isDisjoint(with: left) }.sorted()
            guard !ready.isEmpty else { throw Abort(.internalServerError, reason: "circular references among \(left.sorted())") }
            ordered += ready
            left.subtract(ready)
        }
        return ordered
    }

    /// The owner process of a template named `dti_tpl_<pid>_…`, if it still runs.
    private static func isStale(_ name: String) -> Bool {
        guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count).prefix { $0.isNumber }) else { return false }
        return pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
    }

    private static func removeStaleFiles(in directory: URL) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where isStale(name) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    private static func removeStaleSchemas(_ sql: any SQLDatabase) async throws {
        let schemas = try await sql.raw("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'dti\\_tpl\\_%'").all()
            .map { try $0.decode(column: "nspname", as: String.self) }
        for schema in schemas where isStale(schema) {
            try? await sql.raw("DROP SCHEMA IF EXISTS \"\(unsafeRaw: schema)\" CASCADE").run()
        }
    }
}
