import FluentPostgresDriver
import Foundation
import NIOConcurrencyHelpers

/// A statement that every save (or every API request) runs, kept prepared on
/// each PostgreSQL connection (ADR 0033). PostgreSQL plans an unnamed
/// statement each time it runs: for the assessment's first read that was
/// 300 µs of planning beside 120 µs of work. Each kind of statement is a type
/// (PostgresNIO names a prepared statement by a type); its SQL is whatever
/// SQLKit writes for the query the first time, the same text every time.
protocol KeptStatement {
    /// The statement's name on the server, unique among the kept ones.
    static var name: String { get }
}

extension Database {
    /// The rows of `query`: on PostgreSQL through the statement `Key` names,
    /// prepared once per connection; elsewhere (SQLite), as `sql.raw(query)`.
    /// A query whose text is not the one `Key` was first used with, or that
    /// binds a value of a type this does not carry, runs unprepared (slower,
    /// never wrong).
    func rows<Key: KeptStatement>(_ key: Key.Type, _ query: SQLQueryString) async throws -> [any SQLRow] {
        let sql = try self.sql
        guard let postgres = self as? any PostgresDatabase else { return try await sql.raw(query).all() }
        var serializer = SQLSerializer(database: sql)
        query.serialize(to: &serializer)
        guard KeptStatements.register(Key.name, serializer.sql), let bindings = try? KeptStatements.bindings(serializer.binds) else {
            return try await sql.raw(query).all()
        }
        let logger = self.logger
        let rows = try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var rows: [PostgresRow] = []
                for try await row in try await connection.execute(Prepared<Key>(bindings: bindings), logger: logger) { rows.append(row) }
                return rows
            }
        }.get()
        return rows.map { $0.sql() }
    }

    /// The first row of `query`, as `rows(_:_:)` reads it.
    func firstRow<Key: KeptStatement>(_ key: Key.Type, _ query: SQLQueryString) async throws -> (any SQLRow)? {
        try await rows(key, query).first
    }
}

/// The SQL of each kept statement, by name, as first written.
enum KeptStatements {
    private static let texts = NIOLockedValueBox<[String: String]>([:])

    /// Records `sql` as the text of `name`; false if `name` already has another text.
    static func register(_ name: String, _ sql: String) -> Bool {
        texts.withLockedValue { texts in
            if let known = texts[name] { return known == sql }
            texts[name] = sql
            return true
        }
    }

    static func text(_ name: String) -> String { texts.withLockedValue { $0[name] ?? "" } }

    /// SQLKit's bound values as PostgresNIO's, for the types the kept statements bind;
    /// nil for any other (the caller then runs the statement unprepared).
    static func bindings(_ values: [any Encodable & Sendable]) throws -> PostgresBindings? {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case let v as String: try bindings.append(v)
            case let v as UUID: try bindings.append(v)
            case let v as Int: try bindings.append(v)
            case let v as Int64: try bindings.append(v)
            case let v as Bool: try bindings.append(v)
            case let v as Date: try bindings.append(v)
            // A nil optional (an answer's unset points) is NULL, of whatever type the column has.
            case let v as Int64? where v == nil: bindings.appendNull()
            default: return nil
            }
        }
        return bindings
    }
}

/// PostgresNIO's prepared statement for `Key`: prepared on a connection the first time it runs there.
private struct Prepared<Key: KeptStatement>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { "dti_" + Key.name }
    static var sql: String { KeptStatements.text(Key.name) }
    let bindings: PostgresBindings
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
