import Foundation
import Vapor

/// Where evidence files live. The interface lets tests and other
/// deployments (object storage) replace the local folder.
protocol FileStore: Sendable {
    /// Starts a new file; bytes are appended, then the file is committed or discarded.
    func begin() throws -> any FileWriting
    /// Whether a committed file is there.
    func exists(_ name: String) -> Bool
    /// Removes a stored file (a commit whose record could not be written).
    func remove(_ name: String) throws
    /// Where a stored file lies on disk, for streaming it to a client.
    func localPath(of name: String) -> String?
}

protocol FileWriting: AnyObject {
    func append(_ data: Data) throws
    /// Keeps the file under its generated name, which is returned.
    func commit() throws -> String
    /// Removes every trace of the file.
    func discard()
    /// The bytes written so far, read back (for content checks).
    func readBack(limit: Int) throws -> Data
    func readTail(limit: Int) throws -> Data
}

/// Files under `<data>/evidence`, never under the public folder. A file is
/// written as `<uuid>.part` and renamed when complete, so an interrupted
/// upload never leaves a file that looks stored.
struct LocalFileStore: FileStore {
    let directory: URL

    init(directory: String) throws {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    func begin() throws -> any FileWriting { try LocalWriter(directory: directory) }

    func exists(_ name: String) -> Bool {
        Self.isGenerated(name) && FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
    }

    /// Only names this store generated (a UUID) are ever opened.
    func localPath(of name: String) -> String? {
        exists(name) ? directory.appendingPathComponent(name).path : nil
    }

    func remove(_ name: String) throws {
        guard Self.isGenerated(name) else { return }
        try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
    }

    static func isGenerated(_ name: String) -> Bool { UUID(uuidString: name) != nil }

    final class LocalWriter: FileWriting {
        let name = UUID().uuidString
        let part: URL
        let final: URL
        let handle: FileHandle
        var done = false

        init(directory: URL) throws {
            part = directory.appendingPathComponent(name + ".part")
            final = directory.appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: part.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw Abort(.internalServerError, reason: "Không tạo được tệp trong kho tài liệu kiểm chứng.")
            }
            handle = try FileHandle(forWritingTo: part)
        }

        deinit { if !done { discard() } }

        func append(_ data: Data) throws { try handle.write(contentsOf: data) }

        func readBack(limit: Int) throws -> Data {
            let h = try FileHandle(forReadingFrom: part)
            defer { try? h.close() }
            return try h.read(upToCount: limit) ?? Data()
        }

        func readTail(limit: Int) throws -> Data {
            let h = try FileHandle(forReadingFrom: part)
            defer { try? h.close() }
            let size = try h.seekToEnd()
            try h.seek(toOffset: size > UInt64(limit) ? size - UInt64(limit) : 0)
            return try h.readToEnd() ?? Data()
        }

        func commit() throws -> String {
            try handle.close()
            try FileManager.default.moveItem(at: part, to: final)
            done = true
            return name
        }

        func discard() {
            try? handle.close()
            try? FileManager.default.removeItem(at: part)
            done = true
        }
    }
}

extension Application {
    private struct FileStoreKey: StorageKey { typealias Value = any FileStore }

    /// The evidence store `configure` set (`useFileStore`). A request still running when
    /// the application shuts down (storage is emptied then: a handler reading an upload the
    /// client dropped) is refused with 503 instead of taking the process down.
    var fileStore: any FileStore {
        get throws {
            guard let store = storage[FileStoreKey.self] else { throw Abort(.serviceUnavailable, reason: "Máy chủ đang dừng; hãy gửi lại sau ít phút.") }
            return store
        }
    }

    func useFileStore(_ store: any FileStore) { storage[FileStoreKey.self] = store }

    private struct FeedFilesKey: StorageKey { typealias Value = any FileStore }

    /// Where the feeds' files are kept as they arrived (issue 33): `DTI_DATA_DIR/feed-files`, beside the evidence.
    var feedFiles: any FileStore {
        get throws {
            guard let store = storage[FeedFilesKey.self] else { throw Abort(.serviceUnavailable, reason: "Máy chủ đang dừng; hãy gửi lại sau ít phút.") }
            return store
        }
    }

    func useFeedFiles(_ store: any FileStore) { storage[FeedFilesKey.self] = store }
}
