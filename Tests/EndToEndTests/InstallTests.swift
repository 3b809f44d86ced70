import Foundation
import JobwatchTestKit
import Testing

/// `make install` (scripts/install.sh) in a DESTDIR with the real binary: completions for bash, zsh and fish
/// and a man page generated from the argument parser, readable with `man`.
extension OperatorCommandTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    var path: String { ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin" }

    @Test func installPutsCompletionsAndAManPageThatManReads() async throws {
        let stage = FileManager.default.temporaryDirectory.appendingPathComponent("jobwatch-stage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: stage) }
        let install = try await spawnAsync(
            "/bin/bash",
            [Self.repositoryRoot.appendingPathComponent("scripts/install.sh").path, "--binary", jobwatchBinary.path],
            environment: ["PATH": path, "DESTDIR": stage.path, "PREFIX": "/usr"])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("jobwatch.1.gz (man jobwatch) and bash, zsh and fish completions"))
        let usr = stage.appendingPathComponent("usr").path
        let files = [
            "share/man/man1/jobwatch.1.gz", "share/bash-completion/completions/jobwatch",
            "share/zsh/site-functions/_jobwatch", "share/fish/vendor_completions.d/jobwatch.fish",
        ]
        for file in files { #expect(FileManager.default.fileExists(atPath: "\(usr)/\(file)"), "\(file)") }

        // man finds it under the staged prefix and renders every command with its options.
        let man = try await spawnAsync(
            "/usr/bin/env", ["man", "-P", "cat", "jobwatch"],
            environment: ["PATH": path, "MANPATH": "\(usr)/share/man", "MANWIDTH": "100", "LANG": "C.UTF-8"])
        #expect(man.status == 0, "\(man.stderr)")
        for text in ["JOBWATCH(1)", "jobwatch register", "--from-json", "jobwatch wait", "--label", "EXIT STATUS"] {
            #expect(man.stdout.contains(text), "the man page lacks \(text)")
        }
        #expect(!man.stderr.contains("warning"), "\(man.stderr)")

        // bash loads the completion and it offers the subcommands.
        let completion = "\(usr)/share/bash-completion/completions/jobwatch"
        let bash = try await spawnAsync(
            "/bin/bash",
            [
                "-c",
                "source '\(completion)' && complete -p jobwatch && COMP_WORDS=(jobwatch reg) COMP_CWORD=1 "
                    + "COMP_LINE='jobwatch reg' COMP_POINT=12 && "
                    + "$(complete -p jobwatch | sed -E 's/.*-F ([^ ]+).*/\\1/') jobwatch reg jobwatch; "
                    + "printf '%s\\n' \"${COMPREPLY[@]}\"",
            ], environment: ["PATH": path])
        #expect(bash.status == 0, "\(bash.stderr)")
        #expect(bash.stdout.contains("register"), "\(bash.stdout) \(bash.stderr)")
        let zsh = try String(contentsOfFile: "\(usr)/share/zsh/site-functions/_jobwatch", encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef jobwatch") && zsh.contains("from-json"))

        // uninstall takes them away again.
        let uninstall = try await spawnAsync(
            "/bin/bash", [Self.repositoryRoot.appendingPathComponent("scripts/uninstall.sh").path],
            environment: ["PATH": path, "DESTDIR": stage.path, "PREFIX": "/usr"])
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        for file in files { #expect(!FileManager.default.fileExists(atPath: "\(usr)/\(file)"), "\(file) left behind") }
    }
}
