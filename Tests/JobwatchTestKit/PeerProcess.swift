import Foundation

/// Misbehaving peers in processes of their own (a lock holder, stalling servers): Python's standard library only.
/// Each one exits when its standard input closes (the test ended or died), and after `maxSeconds` anyway.
package final class PeerProcess: Sendable {
    package let process: Process
    private let input: Pipe
    private let collector = LineCollector()

    private init(script: String, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-c", script] + arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        collector.follow(output)
        self.process = process
        self.input = input
        try process.run()
    }

    /// The first line the peer printed (its port, or "locked"), waiting up to 10 s.
    package func firstLine() async -> String? {
        _ = await eventually(timeout: .seconds(10)) { !self.collector.lines.isEmpty }
        return collector.lines.first
    }

    package func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Holds SQLite's write lock on `database` (`BEGIN IMMEDIATE`) until stopped; prints "locked" once it has it.
    package static func lockHolder(database: String, maxSeconds: Int = 60) async throws -> PeerProcess {
        let peer = try PeerProcess(
            script: """
                import sqlite3, sys, threading, os
                threading.Timer(\(maxSeconds), lambda: os._exit(0)).start()
                c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
                c.execute("BEGIN IMMEDIATE")
                print("locked", flush=True)
                sys.stdin.read()
                os._exit(0)
                """, arguments: [database])
        guard await peer.firstLine() == "locked" else {
            peer.stop()
            throw PeerError("the lock holder did not get the write lock")
        }
        return peer
    }

    /// An HTTP server on 127.0.0.1 that reads each request, answers `200` with a large `Content-Length` and
    /// then sends one body byte every `intervalMillis` (a cloud endpoint that trickles its answer); or, with
    /// `readRequests: false`, accepts connections and never reads from them (a receiver that stopped reading).
    package static func stallingServer(
        readRequests: Bool, intervalMillis: Int = 500, maxSeconds: Int = 60
    ) async throws
        -> (peer: PeerProcess, port: Int)
    {
        let peer = try PeerProcess(
            script: """
                import socket, sys, threading, time, os
                threading.Timer(\(maxSeconds), lambda: os._exit(0)).start()
                read_requests = sys.argv[1] == "read"
                interval = int(sys.argv[2]) / 1000.0
                server = socket.socket()
                server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                server.bind(("127.0.0.1", 0))
                server.listen(256)
                print(server.getsockname()[1], flush=True)
                held = []
                def serve(conn):
                    try:
                        data = b""
                        while b"\\r\\n\\r\\n" not in data:
                            chunk = conn.recv(65536)
                            if not chunk:
                                return
                            data += chunk
                        conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n"
                                     b"Content-Length: 1000000\\r\\n\\r\\n{")
                        while True:
                            time.sleep(interval)
                            conn.sendall(b" ")
                    except OSError:
                        pass
                def accept():
                    while True:
                        conn, _ = server.accept()
                        if read_requests:
                            threading.Thread(target=serve, args=(conn,), daemon=True).start()
                        else:
                            held.append(conn)
                threading.Thread(target=accept, daemon=True).start()
                sys.stdin.read()
                os._exit(0)
                """, arguments: [readRequests ? "read" : "hold", "\(intervalMillis)"])
        guard let line = await peer.firstLine(), let port = Int(line) else {
            peer.stop()
            throw PeerError("the stalling server did not start")
        }
        return (peer, port)
    }
}

package struct PeerError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
