import ArgumentParser
import DTIServer
import Foundation

/// `dti serve`: the web application.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Chạy máy chủ web OpenDTI (SQLite trong DTI_DATA_DIR, hoặc PostgreSQL khi có DATABASE_URL).")

    @Option(help: "Địa chỉ lắng nghe.")
    var hostname = "127.0.0.1"

    @Option(help: "Cổng lắng nghe.")
    var port = 8080

    @Flag(help: "Nạp dữ liệu mẫu (Đắk Lắk 2023, bộ chỉ số, kỳ đánh giá, tài khoản mẫu) nếu cơ sở dữ liệu còn trống.")
    var demo = false

    func run() async throws {
        try await reportingRefusals { try await ServerRunner.serve(hostname: hostname, port: port, demo: demo) }
    }
}

/// `dti migrate`: brings the database schema up to date and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Cập nhật cấu trúc cơ sở dữ liệu rồi thoát (máy chủ cũng tự làm việc này khi khởi động).")

    func run() async throws {
        try await reportingRefusals {
            try await ServerRunner.migrate()
            print("Cơ sở dữ liệu đã được cập nhật.")
        }
    }
}

/// `dti backup DIR`: the database and the evidence files, with a manifest of hashes.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Sao lưu cơ sở dữ liệu (SQLite: VACUUM INTO khi máy chủ vẫn chạy; PostgreSQL: pg_dump) và các tệp minh chứng vào một thư mục mới, kèm bảng kê mã SHA-256.")

    @Argument(help: "Thư mục mới (hoặc trống) để ghi bản sao lưu.")
    var directory: String

    func run() async throws {
        try await reportingBackupFailures { try await Backup.create(into: directory, settings: try ServerSettings.fromEnvironment()) }
    }
}

/// `dti restore DIR`: a backup into a new data folder (or an empty database).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Khôi phục một bản sao lưu vào thư mục dữ liệu mới (hoặc cơ sở dữ liệu PostgreSQL trống); kiểm tra mọi mã SHA-256 trước khi ghi và mã các bản ghi công bố sau khi khôi phục.")

    @Argument(help: "Thư mục bản sao lưu (do dti backup tạo).")
    var directory: String

    func run() async throws {
        try await reportingBackupFailures { try await Backup.restore(from: directory, settings: try ServerSettings.fromEnvironment()) }
    }
}

/// Prints what a backup or restore says; a bad setting exits 78, a refusal 2.
func reportingBackupFailures(_ body: () async throws -> String) async throws {
    do {
        print(try await body())
    } catch let problems as ServerSettings.Problems {
        FileHandle.standardError.write(Data("\(problems)\n".utf8))
        throw ExitCode(78)
    } catch let failure as Backup.Failure {
        FileHandle.standardError.write(Data("\(failure)\n".utf8))
        throw ExitCode(2)
    }
}

/// `dti setup-province NAME`: a province as it is since 1 July 2025 — its
/// communes with official codes, its sở, and the pre-reform districts and
/// communes linked to the new communes — from the administrative directory.
struct SetupProvinceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup-province",
        abstract: "Thiết lập một tỉnh theo danh mục hành chính từ 01/07/2025: các xã, phường, đặc khu (mã chính thức), các sở, và các huyện, xã trước sắp xếp kèm liên kết kế thừa. Chạy lại không tạo trùng.")

    @Argument(help: "Tên hoặc mã tỉnh, thành phố (ví dụ \"Đắk Lắk\" hoặc 66).")
    var province: String

    @Option(name: .long, help: "Tệp danh sách sở (mỗi dòng: MÃ, Tên sở); mặc định directory/departments-2025.csv.")
    var departments: String?

    @Option(name: .long, help: "Thư mục danh mục hành chính (mặc định ./directory).")
    var directory: String?

    @Flag(name: .long, help: "Chỉ in những gì sẽ được tạo, không ghi gì.")
    var dryRun = false

    func run() async throws {
        try await reportingRefusals {
            for line in try await ServerRunner.setupProvince(province, departmentsFile: departments, directory: directory, dryRun: dryRun) { print(line) }
        }
    }
}

/// `dti export-site DIR`: the published pages as files, for a web server or a static host.
struct ExportSiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-site",
        abstract: "Ghi mọi trang, tệp tải về và bản ghi kết quả đã công bố thành tệp (đúng từng byte máy chủ trả lời người đọc không đăng nhập, kèm bản nén .gz) vào một thư mục mới hoặc trống, để nginx hoặc một máy chủ tệp tĩnh phục vụ (xem docs/DEPLOY.md).")

    @Argument(help: "Thư mục mới hoặc trống để ghi.")
    var directory: String

    func run() async throws {
        try await reportingRefusals {
            let lines = try await ServerRunner.exportSite(into: directory) { line in
                print(line)
                fflush(nil)
            }
            for line in lines { print(line) }
        }
    }
}

/// Runs a server command: a bad setting is printed and exits 78, a refusal is printed as
/// "Lỗi: …" and exits 1.
func reportingRefusals(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let problems as ServerSettings.Problems {
        FileHandle.standardError.write(Data("\(problems)\n".utf8))
        throw ExitCode(78)
    } catch let refusal as ServerRunner.CommandRefusal {
        FileHandle.standardError.write(Data("Lỗi: \(refusal.message)\n".utf8))
        throw ExitCode(1)
    }
}
