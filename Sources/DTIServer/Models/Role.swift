/// What an account may do. Unit roles are bound to one unit.
public enum Role: String, Codable, CaseIterable, Sendable {
    case administrator
    case evaluator
    case councilMember = "council_member"
    case focalPoint = "focal_point"
    case unitLeader = "unit_leader"
    case viewer

    /// Vietnamese name shown in the interface.
    public var label: String {
        switch self {
        case .administrator: return "Quản trị"
        case .evaluator: return "Chuyên viên thẩm định"
        case .councilMember: return "Thành viên Hội đồng thẩm định"
        case .focalPoint: return "Cán bộ đầu mối"
        case .unitLeader: return "Lãnh đạo đơn vị"
        case .viewer: return "Người xem"
        }
    }

    /// Roles whose account belongs to one unit.
    public var isUnitRole: Bool { self == .focalPoint || self == .unitLeader }

    /// The administrator, evaluators and the council: who read the reviewers' warnings, the season
    /// board and the feeds' pages.
    public var isReviewer: Bool { self == .administrator || self == .evaluator || self == .councilMember }
}
