import ArgumentParser

/// `dti`: the OpenDTI command line.
@main
struct DTICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dti",
        abstract: "OpenDTI — tính điểm, xếp hạng và kiểm tra Chỉ số chuyển đổi số (DTI).",
        subcommands: [RankCommand.self, AuditCommand.self, ScoreCommand.self, CheckFrameworkCommand.self, VerifyCommand.self, ServeCommand.self, MigrateCommand.self, BackupCommand.self, RestoreCommand.self, SetupProvinceCommand.self, ExportSiteCommand.self, RobustnessCommand.self, CheckFeedCommand.self]
    )
}
