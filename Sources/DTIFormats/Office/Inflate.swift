/// A DEFLATE decoder (RFC 1951), enough to read the Office files that Excel,
/// LibreOffice and openpyxl write. Written after Mark Adler's `puff.c`:
/// canonical Huffman codes decoded bit by bit, simple and strict rather than fast.
enum Inflate {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The expanded bytes; refuses more than `limit` bytes of output.
    static func decompress(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        var state = State(input: input, limit: limit)
        var last = false
        while !last {
            last = try state.bits(1) == 1
            switch try state.bits(2) {
            case 0: try state.stored()
            case 1: try state.codes(Huffman.fixedLength, Huffman.fixedDistance)
            case 2: let (l, d) = try state.dynamicTables(); try state.codes(l, d)
            default: throw Failure(description: "khối nén không hợp lệ")
            }
        }
        return state.out
    }

    struct Huffman {
        var count = [Int](repeating: 0, count: 16)
        var symbol: [Int]

        init(lengths: [Int]) throws {
            symbol = [Int](repeating: 0, count: lengths.count)
            for l in lengths { count[l] += 1 }
            var left = 1
            for len in 1..<16 {
                left = left << 1 - count[len]
                if left < 0 { throw Failure(description: "bảng mã Huffman thừa") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + count[len] }
            for (s, l) in lengths.enumerated() where l != 0 {
                symbol[offsets[l]] = s
                offsets[l] += 1
            }
        }

        static let fixedLength = try! Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
        static let fixedDistance = try! Huffman(lengths: [Int](repeating: 5, count: 30))
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    struct State {
        let input: [UInt8]
        let limit: Int
        var position = 0
        var bitBuffer = 0
        var bitCount = 0
        var out: [UInt8] = []

        init(input: [UInt8], limit: Int) {
            self.input = input
            self.limit = limit
            out.reserveCapacity(min(limit, 1 << 24))
        }

        mutating func bits(_ need: Int) throws -> Int {
            var value = bitBuffer
            while bitCount < need {
                guard position < input.count else { throw Failure(description: "dữ liệu nén bị cắt cụt") }
                value |= Int(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            bitBuffer = value >> need
            bitCount -= need
            return value & (1 << need - 1)
        }

        mutating func stored() throws {
            bitBuffer = 0
            bitCount = 0
            guard position + 4 <= input.count else { throw Failure(description: "dữ liệu nén bị cắt cụt") }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            let check = Int(input[position + 2]) | Int(input[position + 3]) << 8
            guard length == ~check & 0xFFFF else { throw Failure(description: "khối lưu trữ hỏng") }
            position += 4
            guard position + length <= input.count else { throw Failure(description: "dữ liệu nén bị cắt cụt") }
            guard out.count + length <= limit else { throw Failure(description: "dữ liệu giải nén dài hơn khai báo") }
            out.append(contentsOf: input[position..<(position + length)])
            position += length
        }

        mutating func decode(_ h: Huffman) throws -> Int {
            var code = 0, first = 0, index = 0
            for len in 1..<16 {
                code |= try bits(1)
                let count = h.count[len]
                if code - count < first { return h.symbol[index + (code - first)] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw Failure(description: "mã Huffman không hợp lệ")
        }

        mutating func codes(_ lengths: Huffman, _ distances: Huffman) throws {
            while true {
                var symbol = try decode(lengths)
                if symbol < 256 {
                    guard out.count < limit else { throw Failure(description: "dữ liệu giải nén dài hơn khai báo") }
                    out.append(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    symbol -= 257
                    guard symbol < 29 else { throw Failure(description: "độ dài không hợp lệ") }
                    let length = Inflate.lengthBase[symbol] + (try bits(Inflate.lengthExtra[symbol]))
                    let d = try decode(distances)
                    guard d < 30 else { throw Failure(description: "khoảng cách không hợp lệ") }
                    let distance = Inflate.distanceBase[d] + (try bits(Inflate.distanceExtra[d]))
                    guard distance <= out.count else { throw Failure(description: "khoảng cách vượt dữ liệu") }
                    guard out.count + length <= limit else { throw Failure(description: "dữ liệu giải nén dài hơn khai báo") }
                    let start = out.count - distance
                    for k in 0..<length { out.append(out[start + k]) }
                }
            }
        }

        mutating func dynamicTables() throws -> (Huffman, Huffman) {
            let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
            guard nlen <= 286, ndist <= 30 else { throw Failure(description: "bảng mã quá lớn") }
            var lengths = [Int](repeating: 0, count: 19)
            for i in 0..<ncode { lengths[Inflate.codeLengthOrder[i]] = try bits(3) }
            let lencode = try Huffman(lengths: lengths)
            var all: [Int] = []
            while all.count < nlen + ndist {
                let symbol = try decode(lencode)
                if symbol < 16 { all.append(symbol); continue }
                var repeatValue = 0, times: Int
                switch symbol {
                case 16:
                    guard let previous = all.last else { throw Failure(description: "lặp không có giá trị trước") }
                    repeatValue = previous
                    times = 3 + (try bits(2))
                case 17: times = 3 + (try bits(3))
                default: times = 11 + (try bits(7))
                }
                guard all.count + times <= nlen + ndist else { throw Failure(description: "bảng mã quá dài") }
                all.append(contentsOf: repeatElement(repeatValue, count: times))
            }
            guard all[256] != 0 else { throw Failure(description: "thiếu mã kết thúc khối") }
            return (try Huffman(lengths: Array(all[0..<nlen])), try Huffman(lengths: Array(all[nlen...])))
        }
    }
}
