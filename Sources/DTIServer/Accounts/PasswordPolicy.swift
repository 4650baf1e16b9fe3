/// The configurable password rules, with Vietnamese reasons.
struct PasswordPolicy: Sendable {
    var minLength: Int

    /// Why `password` is refused for `username`, or `nil` when it is acceptable.
    func problem(_ password: String, username: String) -> String? {
        if password.count < minLength { return "Mật khẩu cần ít nhất \(minLength) ký tự." }
        if password.lowercased().contains(username.lowercased()) { return "Mật khẩu không được chứa tên đăng nhập." }
        let kinds = [password.contains(where: \.isLetter), password.contains(where: \.isNumber),
                     password.contains(where: { !$0.isLetter && !$0.isNumber })].filter { $0 }.count
        if kinds < 2 { return "Mật khẩu cần có ít nhất hai loại: chữ, số, ký tự đặc biệt." }
        return nil
    }
}
