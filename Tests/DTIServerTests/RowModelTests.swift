import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
@testable import DTIServer

@Suite("Models read from SQL rows", .serialized)
struct RowModelTests {
    /// Every stored property, as JSON with sorted keys (an unread field would stop the encoder).
    func json<M: Model>(_ model: M) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return String(decoding: try encoder.encode(model), as: UTF8.self)
    }

    func same<M: RowModel>(_ type: M.Type, _ app: Application, id: (M) -> UUID?) async throws -> Int {
        let sql = try #require(app.db as? any SQLDatabase)
        let fluent = try await M.query(on: app.db).all()
        let rows = try await sql.raw("SELECT * FROM \(unsafeRaw: M.schema)").all().map { try M.decode(row: $0) }
        #expect(rows.count == fluent.count)
        let byID = Dictionary(uniqueKeysWithValues: rows.map { (id($0)!, $0) })
        for model in fluent {
            let read = try #require(byID[id(model)!])
            #expect(try json(read) == json(model), "\(M.schema) \(id(model)!)")
            #expect(read._$idExists, "read as stored: a save updates, never inserts")
            #expect(!read.hasChanges, "nothing changed by reading")
        }
        return fluent.count
    }

    @Test("accounts, units, submissions, answers and periods read as SQL rows are the models Fluent reads, field for field, stored and unchanged; a bearer token signs in through one statement, and expired, disabled and revoked ones are refused (a lock does not stop them)")
    func sameAsFluent() async throws {
        try await withDemoApp { app in
            let accounts = try await same(UserAccount.self, app) { $0.id }
            let units = try await same(UnitModel.self, app) { $0.id }
            let submissions = try await same(Submission.self, app) { $0.id }
            let answers = try await same(Answer.self, app) { $0.id }
            #expect(accounts > 5 && units > 100 && submissions > 10 && answers > 100, "\(accounts) \(units) \(submissions) \(answers)")
            #expect(try await same(Period.self, app) { $0.id } >= 5)
            #expect(try await same(PeriodPhase.self, app) { $0.id } > 5)
            #expect(try await same(PeriodFramework.self, app) { $0.id } > 0)
            #expect(try await same(FrameworkVersion.self, app) { $0.id } >= 3)
            // A period with its phases and frameworks, as Fluent's eager loading gives it.
            // Read, then read again from the kept rows (PeriodCache): the same each time.
            let cache = PeriodCache()
            for fluent in try await Period.query(on: app.db).with(\.$phases).with(\.$frameworks, { $0.with(\.$frameworkVersion) }).all() {
                for kept in [nil, cache, cache] {
                    let read = try #require(try await PeriodService.load(fluent.id!, on: app.db, cache: kept))
                    #expect(try json(read) == json(fluent))
                    #expect(try read.phases.map(json).sorted() == fluent.phases.map(json).sorted())
                    #expect(try read.frameworks.map { try json($0) + json($0.frameworkVersion) }.sorted()
                            == fluent.frameworks.map { try json($0) + json($0.frameworkVersion) }.sorted())
                }
            }
            #expect(cache.count >= 5)
            // A submission read beside its unit, its columns under a prefix (as a save loads it).
            let sql = try #require(app.db as? any SQLDatabase)
            let prefixed = Submission.columnList("submissions", prefix: "sub_")
            let fluentSubmissions = Dictionary(uniqueKeysWithValues: try await Submission.query(on: app.db).all().map { ($0.id!, $0) })
            let joined = try await sql.raw("SELECT units.*, \(unsafeRaw: prefixed) FROM units JOIN submissions ON submissions.unit_id = units.id").all()
            #expect(joined.count == fluentSubmissions.count)
            for row in joined {
                let read = try Submission.decode(row: row, prefix: "sub_")
                #expect(try json(read) == json(try #require(fluentSubmissions[read.id!])))
                #expect(read._$idExists && !read.hasChanges)
            }
            #expect(try await PeriodService.load(UUID(), on: app.db) == nil)
            try await bearerHolder(app)
        }
    }

    enum UnitsOfLevel: KeptStatement { static let name = "test_units_of_level" }
    enum AllUnits: KeptStatement { static let name = "test_all_units" }

    @Test("a kept statement reads what the same query reads unprepared; on PostgreSQL it is prepared on its connection, and another text under its name still runs, unprepared")
    func keptStatements() async throws {
        try await withDemoApp { app in
            let sql = try #require(app.db as? any SQLDatabase)
            @Sendable func codes(_ rows: [any SQLRow]) throws -> [String] { try rows.map { try $0.decode(column: "code", as: String.self) } }
            for level in ["department", "commune", "district", "nowhere"] {
                let query: SQLQueryString = "SELECT code FROM units WHERE level = \(bind: level) ORDER BY code"
                let kept = try codes(try await app.db.rows(UnitsOfLevel.self, query))
                #expect(kept == (try codes(try await sql.raw(query).all())), "\(level)")
                #expect((level == "nowhere") == kept.isEmpty, "\(level): \(kept.count)")
            }
            let other = try await app.db.firstRow(UnitsOfLevel.self, "SELECT code FROM units WHERE code = \(bind: "SNNPTNT")")
            #expect(try other?.decode(column: "code", as: String.self) == "SNNPTNT")
            // Unit columns named one by one, through a kept statement (on PostgreSQL, PostgresNIO's rows), read what `units.*` reads.
            let named = try await app.db.rows(AllUnits.self, "SELECT \(unsafeRaw: UnitModel.columnList("units")) FROM units ORDER BY code")
            let starred = try await sql.raw("SELECT * FROM units ORDER BY code").all()
            #expect(named.count == starred.count && named.count > 100)
            #expect(try named.map { try json(UnitModel.decode(row: $0)) } == starred.map { try json(UnitModel.decode(row: $0)) })
            if sql.dialect.name == "postgresql" {
                let prepared = try await app.db.withConnection { db in
                    _ = try await db.rows(UnitsOfLevel.self, "SELECT code FROM units WHERE level = \(bind: "commune") ORDER BY code")
                    return try codes(try await (db as! any SQLDatabase).raw("SELECT name AS code FROM pg_prepared_statements").all())
                }
                #expect(prepared.contains("dti_test_units_of_level"), "\(prepared)")
            }
        }
    }

    /// A bearer token still signs in through the one SQL statement: revoked, expired and disabled are refused; a lock does not stop it.
    func bearerHolder(_ app: Application) async throws {
        do {
            let admin = Browser(app)
            _ = try await admin.signIn("quantri")
            let issued = try await admin.send(.POST, "/api/v1/tokens", json: ["username": "daumoi.snn", "name": "máy"])
            #expect(issued.status == .created || issued.status == .ok)
            let token = try #require((try JSONSerialization.jsonObject(with: Data(issued.body.utf8)) as? [String: Any])?["token"] as? String)
            let client = Browser(app)
            let me = try await client.send(.GET, "/api/v1/me", headers: ["Authorization": "Bearer \(token)"])
            #expect(me.status == .ok)
            #expect(me.body.contains(#""unitCode":"SNNPTNT""#))
            // Expired: refused.
            let sql = try #require(app.db as? any SQLDatabase)
            try await sql.raw("UPDATE api_tokens SET expires_at = \(bind: Date(timeIntervalSinceNow: -60))").run()
            #expect(try await client.send(.GET, "/api/v1/me", headers: ["Authorization": "Bearer \(token)"]).status == .unauthorized)
            try await sql.raw("UPDATE api_tokens SET expires_at = \(bind: Date(timeIntervalSinceNow: 3600))").run()
            #expect(try await client.send(.GET, "/api/v1/me", headers: ["Authorization": "Bearer \(token)"]).status == .ok)
            // The account locked by guessing: the token carries on (ADR 0039); disabled: refused; revoked: refused.
            try await sql.raw("UPDATE users SET locked_until = \(bind: Date(timeIntervalSinceNow: 600)) WHERE username = 'daumoi.snn'").run()
            #expect(try await client.send(.GET, "/api/v1/me", headers: ["Authorization": "Bearer \(token)"]).status == .ok)
            try await sql.raw("UPDATE users SET active = \(bind: false) WHERE username = 'daumoi.snn'").run()
            #expect(try await client.send(.GET, "/api/v1/me", headers: ["Authorization": "Bearer \(token)"]).status == .unauthorized)
            try await sql.raw("UPDATE users SET locked_until = NULL, active = \(bind: true) WHERE username = 'daumoi.snn'").run()
            try await sql.raw("UPDATE api_tokens SET revoked = \(bind: true)").run()
            #expect(try await client.send(.GET, "/api/v1/me", headers: ["Authorization": "Bearer \(token)"]).status == .unauthorized)
        }
    }
}
