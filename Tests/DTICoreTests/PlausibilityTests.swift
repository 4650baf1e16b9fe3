import DTICore
import Testing

@Suite struct PlausibilityTests {
    func n(_ v: Int) -> ScaledDecimal { ScaledDecimal(v) }

    @Test("a count three times last year's, or a third of it, is flagged; closer values are not")
    func lastYear() {
        #expect(Plausibility.check(n(30), lastYear: n(10), peers: [], isPercent: false).map(\.message)
            == ["Năm trước 10, năm nay 30: gấp 3 lần so với năm trước."])
        #expect(Plausibility.check(n(3), lastYear: n(10), peers: [], isPercent: false).map(\.message)
            == ["Năm trước 10, năm nay 3: chỉ bằng 30% so với năm trước."])
        #expect(Plausibility.check(n(29), lastYear: n(10), peers: [], isPercent: false).isEmpty)
        #expect(Plausibility.check(n(4), lastYear: n(10), peers: [], isPercent: false).isEmpty)
        // Nothing to compare with a zero.
        #expect(Plausibility.check(n(40), lastYear: n(0), peers: [], isPercent: false).isEmpty)
    }

    @Test("percentages are compared by distance, peers by their median from three units")
    func percentAndPeers() {
        #expect(Plausibility.check(n(95), lastYear: n(60), peers: [], isPercent: true).map(\.basis) == [.lastYear])
        #expect(Plausibility.check(n(85), lastYear: n(60), peers: [], isPercent: true).isEmpty)
        #expect(Plausibility.check(n(50), lastYear: nil, peers: [n(8), n(10), n(12), n(9)], isPercent: false).map(\.message)
            == ["Trung vị của 4 đơn vị cùng nhóm là 9,5, đơn vị ghi 50: gấp 5,3 lần trung vị."])
        #expect(Plausibility.check(n(50), lastYear: nil, peers: [n(8), n(10)], isPercent: false).isEmpty)
        #expect(Plausibility.check(n(10), lastYear: nil, peers: [n(90), n(95), n(80)], isPercent: true).map(\.basis) == [.peers])
        #expect(Plausibility.median([n(3), n(1), n(2)]) == n(2))
    }
}
