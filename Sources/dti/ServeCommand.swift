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
        do {
            try await ServerRunner.serve(hostname: hostname, port: port, demo: demo)
        } catch let problems as ServerSettings.Problems {
            FileHandle.standardError.write(Data("\(problems)\n".utf8))
            throw ExitCode(78)
        }
    }
}

/// `dti migrate`: brings the database schema up to date and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Cập nhật cấu trúc cơ sở dữ liệu rồi thoát (máy chủ cũng tự làm việc này khi khởi động).")

    func run() async throws {
        do {
            try await ServerRunner.migrate()
            print("Cơ sở dữ liệu đã được cập nhật.")
        } catch let problems as ServerSettings.Problems {
            FileHandle.standardError.write(Data("\(problems)\n".utf8))
            throw ExitCode(78)
        }
    }
}
