import Yams

/// A mapping of a rules or policy file under `Patterns/`, read through Yams' node tree with
/// every scalar taken as text (numbers are converted here). `YAMLDecoder`
/// and Yams' default tag resolution (regular expressions per scalar) cost
/// ~30M instructions for the small TLS files: most of a run's startup.
struct PolicyYAML {
    let mapping: Node.Mapping
    let source: String
    /// Dotted position of this mapping in the file (`certificate`), empty at the top.
    let position: String

    init(_ yaml: String, source: String) throws {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml, .basic)
        } catch {
            throw PolicyError("\(source): not valid YAML: \(error)")
        }
        guard let mapping = root?.mapping else { throw PolicyError("\(source): expected a mapping of fields") }
        self.init(mapping: mapping, source: source, position: "")
    }

    init(mapping: Node.Mapping, source: String, position: String) {
        self.mapping = mapping
        self.source = source
        self.position = position
    }

    func path(_ key: String) -> String { position.isEmpty ? key : position + "." + key }

    func value(_ key: String) throws -> Node {
        guard let node = mapping[key] else { throw PolicyError("\(source): missing field \(path(key))") }
        return node
    }

    func mismatch(_ key: String, _ expected: String) -> PolicyError {
        PolicyError("\(source): field \(path(key)): expected \(expected)")
    }

    func field(_ key: String) throws -> PolicyYAML {
        guard let inner = try value(key).mapping else { throw mismatch(key, "a mapping") }
        return PolicyYAML(mapping: inner, source: source, position: path(key))
    }

    func text(_ key: String) throws -> String {
        guard let scalar = try value(key).scalar else { throw mismatch(key, "text") }
        return scalar.string
    }

    func number(_ key: String) throws -> Int {
        guard let scalar = try value(key).scalar, let n = Int(scalar.string) else { throw mismatch(key, "a number") }
        return n
    }

    func texts(_ key: String) throws -> [String] {
        guard let list = try value(key).sequence else { throw mismatch(key, "a list") }
        return try list.map {
            guard let scalar = $0.scalar else { throw mismatch(key, "a list of text") }
            return scalar.string
        }
    }

    func optionalTexts(_ key: String) throws -> [String]? { mapping[key] == nil ? nil : try texts(key) }

    /// The keys, in file order.
    func keys() throws -> [String] {
        try mapping.keys.map {
            guard let name = $0.scalar?.string else { throw PolicyError("\(source): \(position): keys must be text") }
            return name
        }
    }
}

public struct PolicyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
