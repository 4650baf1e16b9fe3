import Fluent
import SQLKit

/// Models read from SQL rows without Fluent's reflection.
///
/// A Fluent query serialises its SQL (quoting every aliased column) and
/// walks the model's properties by reflection several times per query and
/// per row; on a 2-core machine that was most of the CPU of a signed-in
/// request (a profile of `GET /api/v1/me`, 611 req/s: two queries). The hot
/// reads — the account behind every signed-in request, a unit, a
/// submission, its answers — are written as SQL and read here property by
/// property through each property's own `output(from:)`, so the model is
/// exactly what Fluent would have made (stored, nothing changed), and a
/// test compares the two for every row of the demo. ADR 0021.
protocol RowModel: Model {
    /// Reads every property from one row, the way Fluent's `output(from:)` does.
    func read(_ output: any DatabaseOutput) throws
}

/// A row model read by statements that name its columns.
protocol ColumnListed: RowModel {
    static var columns: [String] { get }
}

extension ColumnListed {
    /// `table.column, …`, the way a kept statement names what it reads (not `*`: a column
    /// added later would change a prepared statement's result; ADR 0033); with a `prefix`,
    /// `table.column AS prefixcolumn, …`, for a table read beside another (`decode(row:prefix:)`).
    static func columnList(_ table: String, prefix: String = "") -> String {
        columns.map { prefix.isEmpty ? "\(table).\($0)" : "\(table).\($0) AS \(prefix)\($0)" }.joined(separator: ", ")
    }
}

extension RowModel {
    static func decode(row: any SQLRow) throws -> Self { try decode(row: row, prefix: "") }

    /// A model from a row that carries its columns under a prefix (`sub_id`, `sub_status`…),
    /// as a join reads a second table beside the first.
    static func decode(row: any SQLRow, prefix: String) throws -> Self {
        let model = Self()
        try model.read(RowOutput(row: row, prefix: prefix))
        return model
    }

    /// `SELECT * FROM schema WHERE …`, each row decoded.
    static func rows(_ sql: any SQLDatabase, where condition: SQLQueryString) async throws -> [Self] {
        try await sql.raw("SELECT * FROM \(unsafeRaw: schema) WHERE " + condition).all().map { try decode(row: $0) }
    }
}

extension Database {
    /// The database as SQL (SQLite and PostgreSQL both are); hand-written statements need it.
    var sql: any SQLDatabase {
        get throws {
            guard let sql = self as? any SQLDatabase else { throw DomainError.failure("Cơ sở dữ liệu không hỗ trợ câu lệnh SQL cần thiết.") }
            return sql
        }
    }
}

/// An SQL row as Fluent's properties read it (FluentSQL's own is internal).
struct RowOutput: DatabaseOutput {
    let row: any SQLRow
    /// Put before every column name (a joined table's columns, aliased).
    var prefix = ""
    var description: String { "\(row)" }
    func schema(_ schema: String) -> any DatabaseOutput { self }
    func contains(_ key: FieldKey) -> Bool { row.contains(column: prefix + key.description) }
    func decodeNil(_ key: FieldKey) throws -> Bool { try row.decodeNil(column: prefix + key.description) }
    func decode<T: Decodable>(_ key: FieldKey, as type: T.Type) throws -> T { try row.decode(column: prefix + key.description, as: T.self) }
}

extension UserAccount: ColumnListed {
    /// Its columns (the model's fields, reflected once).
    static let columns = keys.map(\.description)

    func read(_ o: any DatabaseOutput) throws {
        try $id.output(from: o); try $username.output(from: o); try $displayName.output(from: o); try $passwordHash.output(from: o)
        try $roleName.output(from: o); try $unit.output(from: o); try $scopeUnits.output(from: o); try $scopeFields.output(from: o)
        try $failedLogins.output(from: o); try $lockedUntil.output(from: o); try $active.output(from: o); try $email.output(from: o)
        try $mustChangePassword.output(from: o); try $sessionsValidFrom.output(from: o); try $createdAt.output(from: o)
    }
}

extension UnitModel: ColumnListed {
    /// Its columns (the model's fields, reflected once).
    static let columns = keys.map(\.description)

    func read(_ o: any DatabaseOutput) throws {
        try $id.output(from: o); try $code.output(from: o); try $name.output(from: o); try $searchKey.output(from: o)
        try $level.output(from: o); try $groupName.output(from: o); try $tags.output(from: o); try $parent.output(from: o)
        try $validFrom.output(from: o); try $validUntil.output(from: o); try $latitude.output(from: o); try $longitude.output(from: o)
        try $createdAt.output(from: o)
    }
}

extension Submission: ColumnListed {
    /// Its columns, for a statement that reads it beside another table under a prefix.
    static let columns = ["id", "period_id", "unit_id", "status", "return_reason", "submitted_at", "version", "updated_at"]

    func read(_ o: any DatabaseOutput) throws {
        try $id.output(from: o); try $period.output(from: o); try $unit.output(from: o); try $status.output(from: o)
        try $returnReason.output(from: o); try $submittedAt.output(from: o); try $version.output(from: o); try $updatedAt.output(from: o)
    }
}

extension Answer: ColumnListed {
    /// Its columns (the model's fields, reflected once).
    static let columns = keys.map(\.description)

    func read(_ o: any DatabaseOutput) throws {
        try $id.output(from: o); try $submission.output(from: o); try $criterion.output(from: o); try $value.output(from: o)
        try $b.output(from: o); try $explanation.output(from: o); try $selfPoints.output(from: o); try $evaluatorPoints.output(from: o)
        try $evaluatorComment.output(from: o); try $evaluatorBy.output(from: o); try $councilPoints.output(from: o)
        try $councilReason.output(from: o); try $councilBy.output(from: o); try $version.output(from: o); try $updatedBy.output(from: o)
        try $updatedAt.output(from: o)
    }
}

extension Period: ColumnListed {
    /// Its columns, the revision (M017) included, for a statement that reads it beside another table under a prefix.
    static let columns = ["id", "year", "title", "locked", "results_only", "preliminary_at", "complaints_until", "created_at", "revision"]

    func read(_ o: any DatabaseOutput) throws {
        try $id.output(from: o); try $year.output(from: o); try $title.output(from: o); try $locked.output(from: o)
        try $resultsOnly.output(from: o); try $preliminaryAt.output(from: o); try $complaintsUntil.output(from: o)
        try $createdAt.output(from: o)
    }
}

extension PeriodPhase: RowModel {
    func read(_ o: any DatabaseOutput) throws {
        try $id.output(from: o); try $period.output(from: o); try $phase.output(from: o); try $startsOn.output(from: o); try $endsOn.output(from: o)
    }
}

extension PeriodFramework: RowModel {
    func read(_ o: any DatabaseOutput) throws {
        try $id.output(from: o); try $period.output(from: o); try $level.output(from: o); try $frameworkVersion.output(from: o)
    }
}

extension FrameworkVersion: RowModel {
    func read(_ o: any DatabaseOutput) throws {
        try $id.output(from: o); try $key.output(from: o); try $version.output(from: o); try $level.output(from: o); try $year.output(from: o)
        try $title.output(from: o); try $yaml.output(from: o); try $sha256.output(from: o); try $importedAt.output(from: o)
    }
}
