/// Unit levels and their Vietnamese names.
enum Levels {
    static let all: [(value: String, label: String)] = [
        ("province", "Tỉnh, thành phố"),
        ("department", "Sở, ban, ngành"),
        ("district", "UBND cấp huyện"),
        ("commune", "UBND cấp xã"),
    ]

    static func label(_ level: String) -> String { all.first { $0.value == level }?.label ?? level }
    static func isValid(_ level: String) -> Bool { all.contains { $0.value == level } }
}
